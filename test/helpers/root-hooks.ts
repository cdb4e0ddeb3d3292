// Mocha root hooks (loaded by .mocharc.json "require").
export const mochaHooks = {};

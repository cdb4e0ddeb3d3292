import { expect } from 'chai';
import { missingSendfile, sendfileAddon } from '../../../src/server/transfer/sendfile-addon.js';

describe('server/transfer/sendfile-addon', function () {
  it('warns at startup only where the add-on belongs, sendfile is wanted and the add-on is missing', function () {
    expect(missingSendfile(true, 'linux', false)).to.match(/add-on is not built .*npm run build:native/);
    expect(missingSendfile(true, 'linux', true)).to.equal(undefined);
    expect(missingSendfile(false, 'linux', false)).to.equal(undefined);
    expect(missingSendfile(true, 'darwin', false)).to.equal(undefined);
  });

  it('is loaded on Linux when npm install built it (CI builds it)', function () {
    if (process.platform !== 'linux' || process.env.CI !== 'true') this.skip();
    expect(sendfileAddon, 'native/sendfile/build/Release/sendfile.node').to.not.equal(undefined);
    expect(missingSendfile(true)).to.equal(undefined);
  });
});

import { authCommands } from './auth.js';
import { dataSetupCommands } from './data-setup.js';
import { fileCommands } from './files.js';
import { infoCommands } from './info.js';
import { listingCommands } from './listing.js';
import { navigationCommands } from './navigation.js';
import { CommandRegistry } from './registry.js';
import { securityCommands } from './security.js';
import { transferCommands } from './transfer.js';

export function createRegistry(): CommandRegistry {
  return new CommandRegistry([
    ...authCommands,
    ...securityCommands,
    ...navigationCommands,
    ...dataSetupCommands,
    ...transferCommands,
    ...listingCommands,
    ...fileCommands,
    ...infoCommands,
  ]);
}

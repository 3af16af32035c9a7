import {holdsGpu} from './backends.js';
import {main} from './main.js';

const code = await main(process.argv);
if (holdsGpu()) {
  // A Dawn instance keeps the event loop alive: exit once stdout has flushed.
  process.stdout.write('', () => process.exit(code));
} else {
  process.exitCode = code;
}

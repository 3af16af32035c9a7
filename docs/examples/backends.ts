// Choosing a backend: try the fastest first and fall back. The same code runs in a browser (webgpu, webgl)
// and in Node (wasm, cpu); a backend that is not available here is skipped with the reason.
import * as tf from '@tensorflow/tfjs'; // registers cpu, and webgl in a browser
import '@tensorflow/tfjs-backend-wasm'; // registers wasm
import '@tensorflow/tfjs-backend-webgpu'; // registers webgpu where the platform has navigator.gpu

/** Switches to the first of `preferred` that initialises here; says why each one before it did not. */
async function useFirstAvailable(preferred: readonly string[]): Promise<{backend: string; skipped: string[]}> {
  const skipped: string[] = [];
  for (const name of preferred) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return {backend: name, skipped};
      }
      skipped.push(`${name}: failed to initialise`);
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message}`); // e.g. not registered on this platform
    }
  }
  throw new Error(`no backend of ${preferred.join(', ')} initialised (${skipped.join('; ')})`);
}

const {backend, skipped} = await useFirstAvailable(['webgpu', 'webgl', 'wasm', 'cpu']);
console.log('backend:', backend);
for (const reason of skipped) console.log('skipped', reason);

// Everything after this runs on that backend; the packages never pick one themselves.
const sum = tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3])));
console.log('1 + 2 + 3 =', (await sum.data())[0], 'on', tf.getBackend());
sum.dispose();

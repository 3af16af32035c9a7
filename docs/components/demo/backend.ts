// The tfjs backend the demo page runs on: the one the URL names (?backend=cpu|webgl|webgpu), or else the first
// of webgpu, webgl and cpu that initialises in this browser. Chosen once per page: both demos share it, and a
// tensor lives on the backend that was active when it was made.
import * as tf from '@tensorflow/tfjs'; // cpu, webgl and the gradients
import '@tensorflow/tfjs-backend-webgpu'; // registers webgpu where navigator.gpu exists

export const DEMO_BACKENDS = ['webgpu', 'webgl', 'cpu'] as const;
export type DemoBackend = (typeof DEMO_BACKENDS)[number];

export interface BackendChoice {
  name: DemoBackend;
  /** The backends tried before it, each with the reason it was passed over. */
  passedOver: string[];
}

/** The backend `?backend=` asks for, or undefined; an unknown name is an error, not a silent fallback. */
export function requestedBackend(search: string): DemoBackend | undefined {
  const value = new URLSearchParams(search).get('backend');
  if (value === null || value === '') return undefined;
  if (!(DEMO_BACKENDS as readonly string[]).includes(value)) {
    throw new Error(`?backend=${value}: unknown backend; expected one of ${DEMO_BACKENDS.join(', ')}`);
  }
  return value as DemoBackend;
}

/** Activates `name`; returns why it could not be, or undefined when it is active. */
async function activate(name: DemoBackend): Promise<string | undefined> {
  try {
    if (!(await tf.setBackend(name))) return 'failed to initialise (see the console)';
    await tf.ready();
    return undefined;
  } catch (e) {
    return (e as Error).message; // e.g. "Backend name 'webgpu' not found in registry": no navigator.gpu
  }
}

async function choose(search: string): Promise<BackendChoice> {
  const forced = requestedBackend(search);
  if (forced !== undefined) {
    const reason = await activate(forced);
    if (reason !== undefined) throw new Error(`?backend=${forced}: ${reason}`);
    return {name: forced, passedOver: []};
  }
  const passedOver: string[] = [];
  for (const name of DEMO_BACKENDS) {
    const reason = await activate(name);
    if (reason === undefined) return {name, passedOver};
    passedOver.push(`${name}: ${reason}`);
  }
  throw new Error(`no tfjs backend initialised (${passedOver.join('; ')})`);
}

let choice: Promise<BackendChoice> | undefined;

/** The page's backend, chosen at the first call. */
export function demoBackend(): Promise<BackendChoice> {
  choice ??= choose(window.location.search);
  return choice;
}

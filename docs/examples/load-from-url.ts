// Loading a checkpoint over HTTP, as a browser does: config.json and model.safetensors from one folder URL.
// (The demo page loads its text model with this function.)
import {disposeParameters, loadCheckpoint, ReformerModelWithLMHead} from '@reformerjs/reformer-model';

async function fetchOk(url: URL): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url.href}: HTTP ${response.status} ${response.statusText}`);
  return response;
}

export interface LoadedLanguageModel {
  model: ReformerModelWithLMHead;
  /** Frees the model and its parameters (a model built from given parameters leaves them to the caller). */
  dispose(): void;
}

/** A causal LM from a folder URL (ending in '/') that holds Hugging Face's config.json and model.safetensors. */
export async function loadLanguageModel(folder: string | URL): Promise<LoadedLanguageModel> {
  const base = new URL(folder, globalThis.location?.href); // in a page, a relative folder is relative to it
  const [configJson, weights] = await Promise.all([
    fetchOk(new URL('config.json', base)).then((r) => r.text()),
    fetchOk(new URL('model.safetensors', base)).then(async (r) => new Uint8Array(await r.arrayBuffer())),
  ]);
  const {config, parameters} = await loadCheckpoint({config: configJson, weights}, {head: 'lm'});
  const model = new ReformerModelWithLMHead(config, {parameters});
  return {
    model,
    dispose: () => {
      model.dispose();
      disposeParameters(parameters);
    },
  };
}

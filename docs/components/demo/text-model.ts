// The text model the site ships (docs/public/models/sotu-small/, trained by `reformer train --task text`):
// loaded over HTTP with the documented loader, and continued from a prompt with reformer-model's generate().
import {generate} from '@reformerjs/reformer-model';
import {loadLanguageModel, type LoadedLanguageModel} from '../../examples/load-from-url.js';
import {parseVocabulary, type CharacterVocabulary} from './vocabulary.js';

export interface GenerateSettings {
  maxNewTokens: number;
  temperature: number;
  seed: number;
}

export class TextModel {
  private constructor(
    private readonly loaded: LoadedLanguageModel,
    readonly vocabulary: CharacterVocabulary,
  ) {}

  /** Loads config.json, model.safetensors and vocab.json from `folder` (a URL ending in '/'). */
  static async load(folder: string): Promise<TextModel> {
    const base = new URL(folder, window.location.href);
    const vocabUrl = new URL('vocab.json', base);
    const [loaded, vocabJson] = await Promise.all([
      loadLanguageModel(base),
      fetch(vocabUrl).then(async (r) => {
        if (!r.ok) throw new Error(`${vocabUrl.href}: HTTP ${r.status} ${r.statusText}`);
        return r.json() as Promise<unknown>;
      }),
    ]);
    return new TextModel(loaded, parseVocabulary(vocabJson, vocabUrl.href));
  }

  /** Positions left after the prompt: generation cannot go past max_position_embeddings. */
  room(prompt: string): number {
    return this.loaded.model.config.maxPositionEmbeddings - Array.from(prompt).length;
  }

  /** Continues `prompt`, calling `onText` with each new piece of text as it is generated; returns the continuation. */
  async continue(prompt: string, settings: GenerateSettings, onText: (piece: string) => void): Promise<string> {
    const ids = this.vocabulary.encode(prompt);
    if (ids.length === 0) throw new Error('the prompt is empty: type at least one character');
    const room = this.room(prompt);
    if (room < 1) throw new Error(`the prompt has ${ids.length} characters; the model takes at most ${ids.length + room - 1} before generating`);
    const generated = await generate(this.loaded.model, ids, {
      maxNewTokens: Math.min(settings.maxNewTokens, room),
      temperature: settings.temperature,
      seed: settings.seed,
      onToken: (_step, tokens) => onText(this.vocabulary.decode(tokens)),
    });
    return this.vocabulary.decode(generated as number[]);
  }

  dispose(): void {
    this.loaded.dispose();
  }
}

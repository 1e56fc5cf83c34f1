// Composition for the on-screen pinyin keyboard: letters collect until a candidate is
// picked; the picked word is committed and the letters it used are removed, so a phrase
// can be built word by word ("cunweihui" → 村委会, or 村 then "weihui" → 委会…).
import type { Candidate } from "./bindings/Candidate";

export interface Picked {
  commit: string;
  rest: string;
}

export function pick(composition: string, c: Candidate): Picked {
  const letters = composition.replace(/[^a-z]/gi, "");
  return { commit: c.word, rest: letters.slice(c.consumed) };
}

/** Backspace removes a letter while composing, else a character of the text. */
export function backspace(composition: string, text: string): { composition: string; text: string } {
  if (composition) return { composition: composition.slice(0, -1), text };
  return { composition, text: Array.from(text).slice(0, -1).join("") };
}

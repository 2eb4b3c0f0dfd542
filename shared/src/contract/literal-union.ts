// Builds a schema from a vocabulary list (vocabulary.ts) without changing what the API publishes.
import Type from 'typebox';

/** One literal schema per word, in the list's order. */
export type LiteralSchemas<T extends readonly string[]> = { -readonly [K in keyof T]: Type.TLiteral<T[K]> };

/**
 * A union of string literals from a vocabulary list: `anyOf` one `const` per word, the form the
 * API's OpenAPI document has always shown (`Type.Enum` would publish an `enum` instead).
 */
export function literalUnion<const T extends readonly string[]>(
  words: T,
  options?: Type.TSchemaOptions,
): Type.TUnion<LiteralSchemas<T>> {
  // The compiler cannot follow `map` over a tuple; the cast states what it builds.
  return Type.Union(
    words.map((w) => Type.Literal(w)),
    options,
  ) as unknown as Type.TUnion<LiteralSchemas<T>>;
}

namespace GeminiHooks.Verification;

/// <summary>What <see cref="JwksCache.GetAsync"/> found: the keys (null if none ever), and whether the source is failing now.</summary>
readonly record struct KeyLookup(SigningKeySet? Keys, bool Refetched, bool SourceFailing);

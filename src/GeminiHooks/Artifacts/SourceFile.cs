namespace GeminiHooks.Artifacts;

/// <summary>A file's metadata as the Files API answers <c>GET files/{id}</c> (fields absent are null).</summary>
internal sealed record SourceFile(string Name, long? SizeBytes, string? Sha256Hex, DateTimeOffset? ExpirationTime);

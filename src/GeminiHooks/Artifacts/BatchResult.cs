using System.Text.Json;

namespace GeminiHooks.Artifacts;

/// <summary>
/// One line of a batch's responses file, read from the stored copy. Exactly one of <see cref="Response"/> and
/// <see cref="Error"/> is set. The JSON values are valid during the handler's call only: <c>Clone()</c> one to keep it.
/// </summary>
/// <param name="Job">The batch, as its event named it (e.g. <c>batches/abc</c>).</param>
/// <param name="Key">The request's <c>key</c>; null when the line has none. With <paramref name="Job"/>, the idempotency key.</param>
/// <param name="LineNumber">1 for the first line of the file.</param>
/// <param name="Response">The <c>GenerateContentResponse</c>, for a request that succeeded.</param>
/// <param name="Error">The error status (<c>code</c>, <c>message</c>), for a request that failed or a line that is not JSON.</param>
public sealed record BatchResult(string Job, string? Key, long LineNumber, JsonElement? Response, JsonElement? Error)
{
    public bool Succeeded => Response is not null;
}

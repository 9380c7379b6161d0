using System.Text.Json.Nodes;

namespace GeminiHooks.Gemini;

/// <summary>One answer of the Gemini API: the HTTP status and, when it was a JSON object, the body.</summary>
internal sealed record GeminiResponse(int Status, JsonObject? Body)
{
    public bool Ok => Status is >= 200 and < 300;

    /// <summary>No answer at all: the request budget was spent, or every try failed on the network.</summary>
    public static GeminiResponse None { get; } = new(0, null);
}

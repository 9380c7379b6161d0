using System.Text.Json.Serialization;

namespace GeminiHooks.Cli.Emulator;

/// <summary>The three kinds of job whose end Gemini announces by webhook (written lowercase in <c>/emulator/jobs</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobKind>))]
internal enum JobKind
{
    [JsonStringEnumMemberName("batch")] Batch,
    [JsonStringEnumMemberName("video")] Video,
    [JsonStringEnumMemberName("interaction")] Interaction,
}

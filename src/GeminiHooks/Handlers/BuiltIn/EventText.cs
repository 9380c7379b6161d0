using GeminiHooks.Events;

namespace GeminiHooks.Handlers.BuiltIn;

/// <summary>A readable one-line summary of an event, for logs and chat messages.</summary>
static class EventText
{
    public static string Describe(GeminiEvent e) => e switch
    {
        BatchSucceeded b => $"Batch {b.Id ?? "?"} succeeded" + (b.OutputFileUri is null ? "" : $": output {b.OutputFileUri}"),
        BatchFailed b => $"Batch {b.Id ?? "?"} failed" + Error(b.ErrorCode, b.ErrorMessage),
        BatchCancelled b => $"Batch {b.Id ?? "?"} was cancelled",
        BatchExpired b => $"Batch {b.Id ?? "?"} expired",
        InteractionRequiresAction i => $"Interaction {i.Id ?? "?"} requires action",
        InteractionCompleted i => $"Interaction {i.Id ?? "?"} completed",
        InteractionFailed i => $"Interaction {i.Id ?? "?"} failed" + Error(i.ErrorCode, i.ErrorMessage),
        InteractionCancelled i => $"Interaction {i.Id ?? "?"} was cancelled",
        VideoGenerated v => $"Video {v.Id ?? "?"} generated" + (v.VideoUri is null ? "" : $": {v.VideoUri}") +
                            (v.FileName is null ? "" : $" ({v.FileName})"),
        _ => $"Gemini event {e.Type}",
    } + $" [{e.Delivery.WebhookId}]";

    static string Error(string? code, string? message) => (code, message) switch
    {
        (null, null) => "",
        (not null, null) => $": {code}",
        (null, not null) => $": {message}",
        _ => $": {code} {message}",
    };
}

namespace GeminiHooks.Events;

/// <summary>
/// <c>video.generated</c>. The current webhooks guide sends <c>id</c>, <c>output_file_uri</c> and <c>file_name</c>; the
/// superseded guide sent <c>file_id</c> and <c>video_uri</c>, which the cookbook still reads. Either shape fills every
/// property: each falls back to its counterpart from the other shape.
/// </summary>
public sealed record VideoGenerated : GeminiEvent
{
    /// <summary><c>id</c> (the operation), or <c>file_id</c> when there is no <c>id</c>.</summary>
    public string? Id { get; init; }

    /// <summary><c>output_file_uri</c> (the guide), or <c>video_uri</c> when there is none.</summary>
    public string? OutputFileUri { get; init; }

    /// <summary><c>video_uri</c> (the older guide and the cookbook), or <c>output_file_uri</c> when there is none.</summary>
    public string? VideoUri { get; init; }

    /// <summary><c>file_name</c> (<c>files/…</c>).</summary>
    public string? FileName { get; init; }

    /// <summary><c>file_id</c>, from the older shape; null in the guide's.</summary>
    public string? FileId { get; init; }
}

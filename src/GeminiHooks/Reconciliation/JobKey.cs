namespace GeminiHooks.Reconciliation;

/// <summary>
/// A job as the matching sees it: its family and its normalised id (the last path segment of its name). Whether a
/// delivery's <c>data.id</c> is <c>batches/123</c> or <c>123</c> is not documented, so both match the same job.
/// </summary>
public readonly record struct JobKey(string Family, string JobId);

namespace GeminiHooks.Verification;

/// <summary>The three Standard Webhooks headers, already checked for presence and shape.</summary>
readonly record struct WebhookHeaders(string Id, string TimestampText, long Timestamp, string Signature);

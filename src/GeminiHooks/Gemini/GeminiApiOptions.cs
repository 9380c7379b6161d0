namespace GeminiHooks.Gemini;

/// <summary>
/// The <c>GeminiHooks:Gemini</c> section: how the receiver calls the Gemini API (only when reconciliation or the
/// watchdog is on). docs/reconciliation.md explains what is called and how often.
/// </summary>
public sealed class GeminiApiOptions
{
    public const string GoogleBaseUrl = "https://generativelanguage.googleapis.com";

    public string BaseUrl { get; set; } = GoogleBaseUrl;

    /// <summary><c>v1beta</c> or <c>v1</c>.</summary>
    public string ApiVersion { get; set; } = "v1beta";

    /// <summary>Sent as <c>x-goog-api-key</c>; never logged.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>Most API requests (retries included) in any one minute; polls beyond it wait for the next minute.</summary>
    public int RequestBudgetPerMinute { get; set; } = 60;

    /// <summary>Retries of one call after 408, 409, 429 or 5xx (or a network failure), with exponential backoff.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>First retry delay; doubled each time up to <see cref="RetryMax"/>. A Retry-After header wins when longer.</summary>
    public TimeSpan RetryInitial { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMax { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Timeout of one HTTP request.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}

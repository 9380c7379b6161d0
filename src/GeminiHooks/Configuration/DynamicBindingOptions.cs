namespace GeminiHooks.Configuration;

/// <summary>
/// <c>GeminiHooks:Dynamic:Binding</c>. A valid signature on a dynamic delivery proves Google sent it, not that it
/// concerns one of your jobs (anyone can point a job's <c>webhook_config</c> at your URL). With keys set, a dynamic
/// delivery must carry a binding token minted with one of them in its <c>user_metadata</c>.
/// </summary>
public sealed class DynamicBindingOptions
{
    /// <summary><c>whsec_</c> secrets; a token minted with any of them is accepted (several for rotation). Empty: off.</summary>
    public List<string> Keys { get; set; } = [];

    /// <summary>The <c>user_metadata</c> entry holding the token.</summary>
    public string MetadataKey { get; set; } = "geminihooks_token";

    public DynamicBindingMode Mode { get; set; } = DynamicBindingMode.Quarantine;

    internal bool Enabled => Keys.Count > 0;
}

/// <summary>What happens to a verified dynamic delivery without a valid binding token.</summary>
public enum DynamicBindingMode
{
    /// <summary>Stored as <c>quarantined</c> and answered 200 (Gemini stops retrying); no handler runs until a replay.</summary>
    Quarantine,

    /// <summary>Answered 403 and not stored; Gemini retries for 24 hours, time to fix a misconfigured job.</summary>
    Reject,
}

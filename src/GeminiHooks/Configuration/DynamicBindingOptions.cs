namespace GeminiHooks.Configuration;

/// <summary>
/// <c>GeminiHooks:Dynamic:Binding</c>. A valid signature on a dynamic delivery proves Google sent it, not that it
/// concerns one of your jobs (anyone can point a job's <c>webhook_config</c> at your URL). With keys set, a dynamic
/// delivery must carry a binding token minted with one of them in its <c>user_metadata</c>; in <c>Confirm</c> mode one
/// without a valid token must name a job your Gemini API key can read, in the state its event announces.
/// </summary>
public sealed class DynamicBindingOptions
{
    /// <summary><c>whsec_</c> secrets; a token minted with any of them is accepted (several for rotation).</summary>
    public List<string> Keys { get; set; } = [];

    /// <summary>The <c>user_metadata</c> entry holding the token.</summary>
    public string MetadataKey { get; set; } = "geminihooks_token";

    public DynamicBindingMode Mode { get; set; } = DynamicBindingMode.Quarantine;

    /// <summary><c>Confirm</c> mode: true answers 403 to a delivery the Gemini API does not confirm; false quarantines it.</summary>
    public bool RejectUnconfirmed { get; set; }

    /// <summary><c>Confirm</c> mode: how long one read of a job answers for every delivery naming it.</summary>
    public TimeSpan ConfirmCacheTime { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// <c>Confirm</c> mode: the longest wait for the Gemini API, with no retry inside the delivery (Gemini waits only
    /// a few seconds for an answer, and retries a 503 itself).
    /// </summary>
    public TimeSpan ConfirmTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// False (the default): the token under <see cref="MetadataKey"/> is removed from what handlers, archives, forwards
    /// and the operator API see. The stored body keeps the exact verified bytes either way.
    /// </summary>
    public bool KeepTokenInPayloads { get; set; }

    /// <summary>Tokens are checked (keys set), whatever the mode.</summary>
    internal bool HasKeys => Keys.Count > 0;
}

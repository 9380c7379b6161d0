using System.Text.Json;
using System.Text.Json.Nodes;

namespace GeminiHooks.Binding;

/// <summary>
/// The <c>webhook_config</c> of a Gemini request (batch, video, interaction) whose deliveries this receiver will accept
/// as yours: the URIs plus <c>user_metadata</c> carrying a fresh binding token. Gemini echoes <c>user_metadata</c> in
/// every delivery for the job, which is how the receiver tells your jobs from anyone else's.
/// </summary>
public sealed class DynamicWebhookConfig
{
    public const string DefaultMetadataKey = "geminihooks_token";

    /// <summary>
    /// Three days: a batch may run 48 hours before it expires, and Gemini retries its delivery for 24 more. A longer
    /// lifetime only widens the window in which a leaked token is worth something.
    /// </summary>
    public static TimeSpan DefaultTimeToLive { get; } = TimeSpan.FromDays(3);

    DynamicWebhookConfig(IReadOnlyList<string> uris, IReadOnlyDictionary<string, string> userMetadata)
    {
        Uris = uris;
        UserMetadata = userMetadata;
    }

    public IReadOnlyList<string> Uris { get; }

    /// <summary>The caller's metadata plus the token under the metadata key.</summary>
    public IReadOnlyDictionary<string, string> UserMetadata { get; }

    /// <summary>
    /// Mints a config valid for <paramref name="timeToLive"/> (the job's whole lifetime, Gemini's 24 hours of retries
    /// included; <see cref="DefaultTimeToLive"/> covers any batch). <paramref name="key"/> is one of
    /// <c>GeminiHooks:Dynamic:Binding:Keys</c>.
    /// </summary>
    /// <exception cref="ArgumentException">No URI, a URI that is not absolute http(s), a non-positive lifetime, or
    /// metadata that already uses the metadata key.</exception>
    /// <exception cref="FormatException">The key is not a valid <c>whsec_</c> secret.</exception>
    public static DynamicWebhookConfig Create(IEnumerable<string> uris, string key, TimeSpan timeToLive,
        IReadOnlyDictionary<string, string>? metadata = null, string metadataKey = DefaultMetadataKey, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(uris);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(metadataKey);
        var list = uris.ToList();
        if (list.Count == 0)
            throw new ArgumentException("at least one URI is required", nameof(uris));
        foreach (var uri in list)
        {
            if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp))
                throw new ArgumentException($"'{uri}' is not an absolute http(s) URL", nameof(uris));
        }
        if (timeToLive <= TimeSpan.Zero)
            throw new ArgumentException("the lifetime must be positive", nameof(timeToLive));
        var userMetadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in metadata ?? new Dictionary<string, string>())
        {
            if (name == metadataKey)
                throw new ArgumentException($"metadata may not set '{metadataKey}': it carries the binding token", nameof(metadata));
            userMetadata[name] = value;
        }
        var now = (time ?? TimeProvider.System).GetUtcNow();
        userMetadata[metadataKey] = BindingToken.Mint(key, now + timeToLive);
        return new DynamicWebhookConfig(list, userMetadata);
    }

    /// <summary>The REST/SDK shape, snake_case: <c>{"uris":[…],"user_metadata":{…}}</c>.</summary>
    public JsonObject ToJsonObject()
    {
        var metadata = new JsonObject();
        foreach (var (name, value) in UserMetadata)
            metadata[name] = value;
        return new JsonObject
        {
            ["uris"] = new JsonArray(Uris.Select(u => (JsonNode?)JsonValue.Create(u)).ToArray()),
            ["user_metadata"] = metadata,
        };
    }

    public string ToJson(bool indented = false) => ToJsonObject().ToJsonString(new JsonSerializerOptions { WriteIndented = indented });
}

using System.Buffers.Text;
using System.Globalization;
using System.Text;
using GeminiHooks.Cli.Common;
using GeminiHooks.Cli.Webhooks;
using GeminiHooks.Verification;

namespace GeminiHooks.Cli.Emulator;

/// <summary>The emulator's in-memory registered webhooks, with their signing secrets and rotation windows.</summary>
internal sealed class WebhookRegistry(TimeProvider time)
{
    /// <summary>How long previous secrets keep signing after a rotation with <c>revoke_previous_secrets_after_h24</c>.</summary>
    public static readonly TimeSpan RotationOverlap = TimeSpan.FromHours(24);
    const int DefaultPageSize = 50;
    const int MaxPageSize = 1000;

    readonly Lock _lock = new();
    readonly Dictionary<string, Registration> _webhooks = new(StringComparer.Ordinal);
    long _sequence;

    sealed class Registration
    {
        public required string Id { get; init; }
        public required long Sequence { get; init; }
        public required DateTimeOffset CreateTime { get; init; }
        public string? Name { get; set; }
        public required string Uri { get; set; }
        public required List<string> Events { get; set; }
        public string State { get; set; } = WebhookStates.Enabled;
        public List<Secret> Secrets { get; } = [];
        public DateTimeOffset UpdateTime { get; set; }
        public int ConsecutiveFailedDeliveries { get; set; }
    }

    sealed record Secret(string Value, byte[] Key, DateTimeOffset? ExpireTime);

    public WebhookResource Create(string? name, string uri, List<string> events)
    {
        var now = time.GetUtcNow();
        var secret = NewSecret(null);
        lock (_lock)
        {
            var registration = new Registration
            {
                Id = ApiRequests.NewId(), Sequence = ++_sequence, CreateTime = now, UpdateTime = now, Name = name, Uri = uri, Events = events,
            };
            registration.Secrets.Add(secret);
            _webhooks.Add(registration.Id, registration);
            return ToResource(registration, now) with { NewSigningSecret = secret.Value };
        }
    }

    /// <summary>A page in creation order; the page token is the sequence number of the last webhook returned.</summary>
    public (IReadOnlyList<WebhookResource> Page, string? NextPageToken) List(int? pageSize, string? pageToken)
    {
        var size = pageSize is null or <= 0 ? DefaultPageSize : Math.Min(pageSize.Value, MaxPageSize);
        var after = 0L;
        if (!string.IsNullOrEmpty(pageToken))
        {
            try { after = long.Parse(Encoding.UTF8.GetString(Base64Url.DecodeFromChars(pageToken)), CultureInfo.InvariantCulture); }
            catch (Exception e) when (e is FormatException or OverflowException) { throw new ArgumentException("page_token is invalid: pass the next_page_token of a previous list call."); }
        }
        var now = time.GetUtcNow();
        lock (_lock)
        {
            var rest = _webhooks.Values.Where(w => w.Sequence > after).OrderBy(w => w.Sequence).ToList();
            var page = rest.Take(size).ToList();
            var next = rest.Count > size
                ? Base64Url.EncodeToString(Encoding.UTF8.GetBytes(page[^1].Sequence.ToString(CultureInfo.InvariantCulture)))
                : null;
            return (page.Select(w => ToResource(w, now)).ToList(), next);
        }
    }

    public WebhookResource? Get(string id)
    {
        lock (_lock)
            return _webhooks.TryGetValue(id, out var w) ? ToResource(w, time.GetUtcNow()) : null;
    }

    /// <summary>Applies the fields that are not null; null answer when the webhook does not exist.</summary>
    public WebhookResource? Update(string id, string? name, bool setName, string? uri, List<string>? events, string? state)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_webhooks.TryGetValue(id, out var w))
                return null;
            if (setName) w.Name = name;
            if (uri is not null) w.Uri = uri;
            if (events is not null) w.Events = events;
            if (state is not null)
            {
                w.State = state;
                w.ConsecutiveFailedDeliveries = 0;
            }
            w.UpdateTime = now;
            return ToResource(w, now);
        }
    }

    public bool Delete(string id)
    {
        lock (_lock)
            return _webhooks.Remove(id);
    }

    /// <summary>A new current secret; previous ones expire in 24 hours or now. Null when the webhook does not exist.</summary>
    public string? Rotate(string id, bool revokeImmediately)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_webhooks.TryGetValue(id, out var w))
                return null;
            var live = w.Secrets.Where(s => s.ExpireTime is null || s.ExpireTime > now).ToList();
            w.Secrets.Clear();
            if (!revokeImmediately)
                w.Secrets.AddRange(live.Select(s => s with { ExpireTime = s.ExpireTime ?? now + RotationOverlap }));
            var secret = NewSecret(null);
            w.Secrets.Insert(0, secret);
            w.UpdateTime = now;
            return secret.Value;
        }
    }

    /// <summary>Enabled webhooks subscribed to the type, as (id, uri).</summary>
    public IReadOnlyList<(string Id, string Uri)> Subscribers(string type)
    {
        lock (_lock)
            return _webhooks.Values
                .Where(w => w.State == WebhookStates.Enabled && w.Events.Contains(type, StringComparer.Ordinal))
                .OrderBy(w => w.Sequence)
                .Select(w => (w.Id, w.Uri)).ToList();
    }

    /// <summary>The keys that sign a delivery now (current plus unexpired previous), or null when the webhook is gone.</summary>
    public (string Uri, IReadOnlyList<byte[]> Keys)? SigningTarget(string id)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_webhooks.TryGetValue(id, out var w))
                return null;
            return (w.Uri, w.Secrets.Where(s => s.ExpireTime is null || s.ExpireTime > now).Select(s => s.Key).ToList());
        }
    }

    /// <summary>
    /// Counts deliveries that failed every attempt, in a row; at <paramref name="disableAfter"/> (0: never) an enabled
    /// webhook becomes <c>disabled_due_to_failed_deliveries</c>. True when this call disabled it.
    /// </summary>
    public bool RecordDeliveryOutcome(string id, bool succeeded, int disableAfter)
    {
        lock (_lock)
        {
            if (!_webhooks.TryGetValue(id, out var w))
                return false;
            w.ConsecutiveFailedDeliveries = succeeded ? 0 : w.ConsecutiveFailedDeliveries + 1;
            if (succeeded || disableAfter <= 0 || w.ConsecutiveFailedDeliveries < disableAfter || w.State != WebhookStates.Enabled)
                return false;
            w.State = WebhookStates.DisabledDueToFailedDeliveries;
            w.UpdateTime = time.GetUtcNow();
            return true;
        }
    }

    static WebhookResource ToResource(Registration w, DateTimeOffset now) => new()
    {
        Id = w.Id,
        Name = w.Name,
        Uri = w.Uri,
        SubscribedEvents = [.. w.Events],
        State = w.State,
        SigningSecrets = w.Secrets
            .Where(s => s.ExpireTime is null || s.ExpireTime > now)
            .Select(s => new SigningSecretInfo(s.ExpireTime is { } e ? CliJson.Rfc3339(e) : null, Truncate(s.Value)))
            .ToList(),
        CreateTime = CliJson.Rfc3339(w.CreateTime),
        UpdateTime = CliJson.Rfc3339(w.UpdateTime),
    };

    static Secret NewSecret(DateTimeOffset? expire)
    {
        var value = StandardWebhooks.GenerateSecret();
        return new Secret(value, StandardWebhooks.DecodeSecret(value), expire);
    }

    /// <summary>Enough of the secret to tell two apart, never enough to use it.</summary>
    static string Truncate(string secret) => secret[..(StandardWebhooks.SecretPrefix.Length + 4)] + "..." + secret[^4..];
}

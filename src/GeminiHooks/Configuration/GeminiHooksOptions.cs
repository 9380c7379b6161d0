namespace GeminiHooks.Configuration;

/// <summary>The <c>GeminiHooks</c> configuration section. Every key and its default: docs/configuration.md.</summary>
public sealed class GeminiHooksOptions
{
    public const string SectionName = "GeminiHooks";

    /// <summary>How far <c>webhook-timestamp</c> (and JWT lifetimes) may be from now, either way.</summary>
    public TimeSpan Tolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest accepted body; larger deliveries get 413.</summary>
    public int MaxBodyBytes { get; set; } = 256 * 1024;

    public StaticWebhookOptions Static { get; set; } = new();
    public DynamicWebhookOptions Dynamic { get; set; } = new();
    public StoreOptions Store { get; set; } = new();
    public IdempotencyOptions Idempotency { get; set; } = new();
    public DispatchOptions Dispatch { get; set; } = new();
    public AdminOptions Admin { get; set; } = new();

    /// <summary>The Gemini API client (reconciliation and the watchdog call it).</summary>
    public Gemini.GeminiApiOptions Gemini { get; set; } = new();

    public Reconciliation.ReconcileOptions Reconcile { get; set; } = new();

    public Reconciliation.WatchdogOptions Watchdog { get; set; } = new();

    /// <summary>Configured (built-in) handlers by name.</summary>
    public Dictionary<string, HandlerOptions> Handlers { get; set; } = new(StringComparer.Ordinal);
}

public sealed class StaticWebhookOptions
{
    public bool Enabled { get; set; } = true;
    public string Path { get; set; } = "/webhooks/gemini";

    /// <summary>Signing secrets (<c>whsec_&lt;base64&gt;</c>, prefix optional); any one may match.</summary>
    public List<string> Secrets { get; set; } = [];
}

public sealed class DynamicWebhookOptions
{
    public const string GoogleJwksUri = "https://generativelanguage.googleapis.com/.well-known/jwks.json";

    public bool Enabled { get; set; }
    public string Path { get; set; } = "/webhooks/gemini/dynamic";
    public string JwksUri { get; set; } = GoogleJwksUri;

    /// <summary>
    /// Accepted JWT <c>aud</c> values (exact comparison), checked when set. Gemini requests carry no audience and the
    /// deliveries seen in live traffic are <c>v1a</c>, not JWTs, so this is empty by default.
    /// </summary>
    public List<string> Audiences { get; set; } = [];

    /// <summary>True: <see cref="Audiences"/> must be set, and a JWT without one of them is refused.</summary>
    public bool RequireAudience { get; set; }

    /// <summary>Binding dynamic deliveries to the operator's own jobs (off until a key is set).</summary>
    public DynamicBindingOptions Binding { get; set; } = new();

    /// <summary>
    /// Google's issuer as the emulator and the project's signers write it; Gemini documents none, so this is an
    /// assumption an operator can override with <see cref="Issuers"/>.
    /// </summary>
    internal const string GoogleIssuer = "https://generativelanguage.googleapis.com";

    /// <summary>Accepted JWT <c>iss</c> values; empty means Google's (<c>https://generativelanguage.googleapis.com</c>).</summary>
    public List<string> Issuers { get; set; } = [];

    /// <summary>Accepted JWT algorithms; empty means <c>RS256</c>.</summary>
    public List<string> Algorithms { get; set; } = [];

    /// <summary>Shortest time between two JWKS fetches caused by unknown key ids.</summary>
    public TimeSpan JwksRefreshMin { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest time a fetched JWKS is used before it is fetched again, whatever Cache-Control says.</summary>
    public TimeSpan JwksMaxAge { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Timeout of one JWKS fetch.</summary>
    public TimeSpan JwksTimeout { get; set; } = TimeSpan.FromSeconds(5);

    internal IReadOnlyList<string> EffectiveAlgorithms => Algorithms.Count == 0 ? ["RS256"] : Algorithms;

    internal IReadOnlyList<string> EffectiveIssuers => Issuers.Count == 0 ? [GoogleIssuer] : Issuers;
}

public sealed class StoreOptions
{
    public string Provider { get; set; } = "Sqlite";
    public string ConnectionString { get; set; } = "Data Source=data/geminihooks.db";

    /// <summary>Concurrent deliveries share one transaction and one sync (docs/storage.md).</summary>
    public bool GroupCommit { get; set; } = true;

    /// <summary>Most deliveries committed together.</summary>
    public int MaxBatch { get; set; } = 256;

    /// <summary>Retry-After sent with a 503 when the store cannot be reached.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class IdempotencyOptions
{
    /// <summary>How long accepted ids (and finished events) are kept; longer than Gemini's 24 h of retries.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long quarantined events (dynamic deliveries not shown to be the operator's) are kept.</summary>
    public TimeSpan QuarantinedRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long dead-lettered events are kept for inspection and replay.</summary>
    public TimeSpan DeadRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the retention cleanup runs.</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromHours(1);
}

public sealed class DispatchOptions
{
    public bool Enabled { get; set; } = true;
    public int MaxAttempts { get; set; } = 10;
    /// <summary>
    /// Handler runs in flight at once, per process. 32 lets a cheap local handler (jsonl, log) keep up with ingest at
    /// thousands of events per second (with 4 it fell behind by tens of thousands); a downstream that cannot take 32
    /// concurrent requests wants a lower value.
    /// </summary>
    public int Concurrency { get; set; } = 32;

    /// <summary>
    /// Most pairs one claim takes. They run Concurrency at a time, and each one's lease starts at the claim, so a pair
    /// may wait BatchSize / Concurrency handler runs for its turn: keep Lease well above that.
    /// </summary>
    public int BatchSize { get; set; } = 64;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(6);

    /// <summary>How long a claimed (event, handler) pair belongs to one dispatcher before another may take it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest idle wait between two looks at the store, when no wake-up signal arrives.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);
}

public sealed class AdminOptions
{
    /// <summary>Bearer key of the operator API (at least 32 characters); empty means the API does not exist.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>
    /// Client networks in CIDR form (<c>10.0.0.0/8</c>) allowed to reach the operator API and dashboard; others get
    /// 404. Empty allows every client. Behind a proxy, turn on forwarded headers so the real client is checked.
    /// </summary>
    public List<string> AllowedNetworks { get; set; } = [];
}

/// <summary>One configured handler. Which settings apply depends on <see cref="Type"/>; the flow settings apply to all.</summary>
public sealed class HandlerOptions : HandlerFlowOptions
{
    public string Type { get; set; } = "";

    /// <summary>Exact event types or prefix patterns (<c>batch.*</c>, <c>*</c>); empty means all.</summary>
    public List<string> Events { get; set; } = [];

    /// <summary><c>jsonl</c>: the file to append to.</summary>
    public string? Path { get; set; }

    /// <summary><c>http</c> and <c>slack</c>: where to POST.</summary>
    public string? Url { get; set; }

    /// <summary><c>http</c>: the Standard Webhooks secret the forwarded event is signed with.</summary>
    public string? Secret { get; set; }

    /// <summary><c>http</c> and <c>slack</c>: request timeout.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>http</c> and the broker types: <c>envelope</c> (the event JSON as received, the default) or <c>cloudevents</c>.</summary>
    public string? Format { get; set; }

    /// <summary>With <c>Format: cloudevents</c>: the CloudEvents <c>source</c>; default <c>/geminihooks/&lt;endpoint&gt;</c>.</summary>
    public string? Source { get; set; }

    // The settings below are read by the broker types (the GeminiHooks.Brokers package); they live here so they bind
    // from configuration like every other handler setting.

    /// <summary><c>redis</c>: a StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379,password=…</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary><c>redis</c>: the stream key; <c>nats</c>: the JetStream stream, created when missing.</summary>
    public string? Stream { get; set; }

    /// <summary><c>redis</c>: approximate upper bound on the stream's length (<c>XADD MAXLEN ~</c>); unset means no trim.</summary>
    public long? MaxLength { get; set; }

    /// <summary><c>nats</c>: the subject; <c>&lt;type&gt;</c> is replaced by the event type.</summary>
    public string? Subject { get; set; }

    /// <summary><c>rabbitmq</c>: the AMQP URI, e.g. <c>amqp://user:password@127.0.0.1:5672/</c>.</summary>
    public string? Uri { get; set; }

    /// <summary><c>rabbitmq</c>: the topic exchange, declared when missing.</summary>
    public string? Exchange { get; set; }

    /// <summary><c>rabbitmq</c>: the routing key; <c>&lt;type&gt;</c> is replaced by the event type (the default is the type).</summary>
    public string? RoutingKey { get; set; }
}

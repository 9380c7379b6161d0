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

    /// <summary>Notifications to a person (Slack or a signed HTTP POST) of dead letters, circuits, a growing backlog, ….</summary>
    public NotifyOptions Notify { get; set; } = new();

    /// <summary>Batch outputs and videos fetched into the operator's own storage (docs/artifacts.md).</summary>
    public ArtifactOptions Artifacts { get; set; } = new();

    /// <summary>Configured (built-in) handlers by name.</summary>
    public Dictionary<string, HandlerOptions> Handlers { get; set; } = new(StringComparer.Ordinal);
}

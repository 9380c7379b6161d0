using System.Text.Json.Nodes;

namespace GeminiHooks.Cli.Emulator;

/// <summary>
/// Settings of <c>geminihooks emulate</c>. Where Gemini documents a behaviour the emulator follows it; where no source
/// says (auto-disable, the ping body, the exact retry delays) the default is an assumption, named as such, and can be changed.
/// </summary>
internal sealed class EmulatorOptions
{
    /// <summary>The API versions the management API is served under: v1 is @google/genai's default, v1beta python-genai's.</summary>
    public static readonly IReadOnlyList<string> ApiVersions = ["v1", "v1beta"];

    /// <summary>Port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; } = 8787;

    /// <summary>When set, only this <c>x-goog-api-key</c> is accepted; otherwise any non-empty key is.</summary>
    public string? ApiKey { get; set; }

    /// <summary>How deliveries are retried; <see cref="RetrySchedule.Fast"/> unless <c>--retry-schedule gemini</c>.</summary>
    public RetrySchedule Retry { get; set; } = RetrySchedule.Fast;

    /// <summary>A receiver that has not answered within this time has failed the attempt (Gemini waits "a few seconds").</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Assumption: after this many consecutive deliveries that failed every attempt, a registered webhook becomes
    /// <c>disabled_due_to_failed_deliveries</c> (the state exists in the API; when Gemini enters it is not documented).
    /// 0 never disables.
    /// </summary>
    public int DisableAfterFailedDeliveries { get; set; } = 1;

    /// <summary>
    /// Assumption: the <c>type</c> and <c>data</c> of the delivery a <c>:ping</c> sends (Gemini does not document its body).
    /// The default is <c>webhook.ping</c> with <c>{"webhook_id": ...}</c>; a custom data object is sent as given.
    /// </summary>
    public string PingType { get; set; } = "webhook.ping";

    public JsonObject? PingData { get; set; }

    /// <summary>Lets webhooks subscribe to types outside the seven subscribable ones (to test a receiver with old or future types).</summary>
    public bool AllowUnlistedEventTypes { get; set; }

    /// <summary><c>iss</c> of the JWTs of dynamic deliveries.</summary>
    public string Issuer { get; set; } = "https://generativelanguage.googleapis.com";

    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Injected errors and request counts on the Gemini API routes (<c>/emulator/faults</c>, <c>/emulator/stats</c>).</summary>
    public ApiFaults Faults { get; } = new();
}

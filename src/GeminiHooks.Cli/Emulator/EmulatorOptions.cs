namespace GeminiHooks.Cli.Emulator;

/// <summary>Settings of <c>geminihooks emulate</c>; the defaults imitate Gemini, tests shrink the delays.</summary>
internal sealed class EmulatorOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; } = 8787;

    /// <summary>When set, only this <c>x-goog-api-key</c> is accepted; otherwise any non-empty key is.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Delay before the first retry; each further retry doubles it (capped at <see cref="RetryMaxDelay"/>).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Attempts per delivery; when all fail, a registered webhook becomes <c>disabled_due_to_failed_deliveries</c>.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>A receiver that has not answered within this time has failed the attempt (Gemini waits "a few seconds").</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary><c>iss</c> of the JWTs of dynamic deliveries.</summary>
    public string Issuer { get; set; } = "https://generativelanguage.googleapis.com";

    public TimeProvider Time { get; set; } = TimeProvider.System;
}

namespace GeminiHooks.Cli.Emulator;

/// <summary>
/// When the emulator retries a delivery that failed: exponential backoff from <see cref="BaseDelay"/>, doubling up to
/// <see cref="MaxDelay"/>, until <see cref="MaxAttempts"/> attempts were made or <see cref="Window"/> has passed since
/// the first one (the last retry lands at the window's end).
/// </summary>
internal sealed record RetrySchedule(string Name, TimeSpan BaseDelay, TimeSpan MaxDelay, int MaxAttempts, TimeSpan? Window)
{
    /// <summary>
    /// Gemini's documented behaviour, "exponential backoff for 24 hours". The delays themselves are an assumption
    /// (Gemini does not publish them): 1 minute, doubling up to 2 hours, with a last attempt at the 24-hour mark.
    /// </summary>
    public static readonly RetrySchedule Gemini = new("gemini", TimeSpan.FromMinutes(1), TimeSpan.FromHours(2), int.MaxValue, TimeSpan.FromHours(24));

    /// <summary>For local work, not Gemini's: 8 attempts, 5 s doubling (about 10.6 minutes in all).</summary>
    public static readonly RetrySchedule Fast = new("fast", TimeSpan.FromSeconds(5), TimeSpan.FromHours(1), 8, null);

    public static IReadOnlyList<RetrySchedule> Presets { get; } = [Fast, Gemini];

    /// <summary>
    /// When the retry after <paramref name="attemptsMade"/> attempts is due, or null when there is none.
    /// <paramref name="first"/> is the time of the first attempt, <paramref name="last"/> that of the latest.
    /// </summary>
    public DateTimeOffset? NextAttempt(int attemptsMade, DateTimeOffset first, DateTimeOffset last)
    {
        if (attemptsMade >= MaxAttempts)
            return null;
        var delay = BaseDelay * Math.Pow(2, Math.Min(attemptsMade - 1, 30));
        var next = last + (delay > MaxDelay ? MaxDelay : delay);
        if (Window is not { } window)
            return next;
        var end = first + window;
        if (last >= end)
            return null;
        return next > end ? end : next;
    }

    public string Describe() => Window is { } window
        ? $"{Name}: {BaseDelay} doubling up to {MaxDelay}, for {window.TotalHours:0.#} hours"
        : $"{Name}: {MaxAttempts} attempts, {BaseDelay} doubling up to {MaxDelay}";
}

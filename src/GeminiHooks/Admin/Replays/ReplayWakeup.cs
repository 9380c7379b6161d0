using GeminiHooks.Storage;

namespace GeminiHooks.Admin.Replays;

/// <summary>Wakes this process's <see cref="ReplayWorker"/> when a replay starts here, so it need not wait for its poll.</summary>
sealed class ReplayWakeup
{
    public WorkSignal Signal { get; } = new();
}

namespace GeminiHooks.Cli.Emulator;

/// <summary>One attempt of a delivery: when, and the receiver's status or the error that stood in for one.</summary>
internal sealed record AttemptRecord(int Attempt, string Time, int? Status, string? Error);

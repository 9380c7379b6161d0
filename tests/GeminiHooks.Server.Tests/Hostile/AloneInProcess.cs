namespace GeminiHooks.Server.Tests.Hostile;

/// <summary>Tests that measure the process's own heap run in this collection, alone: no other test allocates meanwhile.</summary>
[CollectionDefinition(nameof(AloneInProcess), DisableParallelization = true)]
public sealed class AloneInProcess;

namespace GeminiHooks.Storage;

/// <summary>
/// A bulk replay as an operator asked for it: the events <see cref="Filter"/> matches, to <see cref="Handlers"/> (null:
/// every handler that takes each event), recorded with who asked (<see cref="RequestedBy"/>) for audit.
/// </summary>
public sealed record ReplayRequest(EventFilter Filter, IReadOnlyList<string>? Handlers, string RequestedBy);

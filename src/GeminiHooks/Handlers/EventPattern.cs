using GeminiHooks.Events;

namespace GeminiHooks.Handlers;

/// <summary>
/// The <c>Events</c> filter of a configured handler: an exact type, a prefix ending in <c>.*</c>, or <c>*</c>.
/// Anything else (a <c>*</c> in the middle, an empty entry) is rejected at start rather than silently matching nothing.
/// </summary>
static class EventPattern
{
    public static bool IsValid(string? pattern)
    {
        if (string.IsNullOrEmpty(pattern) || pattern.Any(char.IsWhiteSpace))
            return false;
        if (pattern == "*")
            return true;
        var star = pattern.IndexOf('*', StringComparison.Ordinal);
        if (star < 0)
            return !pattern.StartsWith('.') && !pattern.EndsWith('.');
        return star == pattern.Length - 1 && pattern.Length > 2 && pattern[^2] == '.' && !pattern.StartsWith('.');
    }

    /// <summary>Exact names match their alias too: <c>batch.succeeded</c> also takes <c>batch.completed</c>.</summary>
    public static bool Matches(string pattern, string eventType)
    {
        if (pattern == "*")
            return true;
        if (pattern.EndsWith(".*", StringComparison.Ordinal))
            return eventType.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal);
        return string.Equals(pattern, eventType, StringComparison.Ordinal) ||
               string.Equals(GeminiEventTypes.Canonical(pattern), GeminiEventTypes.Canonical(eventType), StringComparison.Ordinal);
    }

    public static bool MatchesAny(IReadOnlyList<string> patterns, string eventType) =>
        patterns.Count == 0 || patterns.Any(p => Matches(p, eventType));
}

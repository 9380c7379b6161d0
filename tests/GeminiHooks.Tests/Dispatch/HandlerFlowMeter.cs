using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace GeminiHooks.Tests.Dispatch;

/// <summary>
/// Listens to one host's handler flow instruments: the sums of the two counters by their tags, and the state gauge's
/// latest reading per (handler, state).
/// </summary>
sealed class HandlerFlowMeter : IDisposable
{
    readonly MeterListener _listener = new();
    readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, int> _states = new(StringComparer.Ordinal);

    public HandlerFlowMeter(IMeterFactory factory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Name is "geminihooks.handler.runs_deferred"
                    or "geminihooks.handler.circuit_transitions" or "geminihooks.handler.state")
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            _counts.AddOrUpdate($"{instrument.Name}{Key(tags)}", value, (_, sum) => sum + value));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, _) => _states[Key(tags)] = value);
        _listener.Start();
    }

    /// <summary>A counter's sum for one set of tags, e.g. <c>Count("geminihooks.handler.circuit_transitions", "flaky", "open")</c>.</summary>
    public long Count(string instrument, params string[] tagValues) => _counts.GetValueOrDefault($"{instrument}{{{string.Join(",", tagValues)}}}");

    /// <summary>The state gauge for one handler now: the state whose series reads 1, or null when none does.</summary>
    public string? State(string handler)
    {
        _listener.RecordObservableInstruments();
        var current = _states.Where(s => s.Key.StartsWith($"{{{handler},", StringComparison.Ordinal) && s.Value == 1).Select(s => s.Key).ToArray();
        return current.Length == 1 ? current[0][(handler.Length + 2)..^1] : null;
    }

    static string Key(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var values = new List<string>();
        foreach (var tag in tags)
            values.Add(tag.Value?.ToString() ?? "");
        return "{" + string.Join(",", values) + "}";
    }

    public void Dispose() => _listener.Dispose();
}

using System.Collections.Concurrent;
using GeminiHooks.Configuration;
using GeminiHooks.Handlers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Dispatch;

/// <summary>
/// The union of code and configured handlers. Ingest asks it which handlers an event type goes to (cached per type),
/// the dispatcher asks it for a handler by name. A configuration reload swaps in a new set atomically; an invalid
/// reload keeps the last good set (start-up validation already guarantees the first one).
/// </summary>
sealed partial class HandlerCatalog : IHandlerCatalog, IDisposable
{
    readonly IReadOnlyList<CodeHandlerRegistration> _code;
    readonly IOptionsMonitor<GeminiHooksOptions> _options;
    readonly ConfiguredHandlerTypes _factory;
    readonly ILogger _logger;
    readonly IDisposable? _subscription;
    readonly Lock _buildLock = new();
    volatile HandlerSet? _set;

    public HandlerCatalog(IEnumerable<CodeHandlerRegistration> code, IOptionsMonitor<GeminiHooksOptions> options,
        ConfiguredHandlerTypes factory, ILogger<HandlerCatalog> logger)
    {
        _code = code.ToList();
        _options = options;
        _factory = factory;
        _logger = logger;
        _subscription = options.OnChange(_ => Reload());
    }

    public IReadOnlyList<string> HandlersFor(string eventType)
    {
        var set = Current;
        return set.ByType.GetOrAdd(eventType, static (type, s) =>
            s.Handlers.Values.Where(h => h.Accepts(type)).Select(h => h.Name).Order(StringComparer.Ordinal).ToArray(), set);
    }

    public HandlerDescriptor? Find(string name) => Current.Handlers.GetValueOrDefault(name);

    public IReadOnlyCollection<string> Names => Current.Handlers.Keys;

    /// <summary>Every handler, by name in ordinal order.</summary>
    public IReadOnlyList<HandlerDescriptor> All => Current.Handlers.Values.OrderBy(h => h.Name, StringComparer.Ordinal).ToArray();

    HandlerSet Current
    {
        get
        {
            if (_set is { } set)
                return set;
            lock (_buildLock)
                return _set ??= Build(_options.CurrentValue);
        }
    }

    void Reload()
    {
        try
        {
            var set = Build(_options.CurrentValue);
            lock (_buildLock)
                _set = set;
            LogReloaded(_logger, set.Handlers.Count);
        }
        catch (Exception e) when (e is OptionsValidationException or InvalidOperationException)
        {
            LogReloadRejected(_logger, e.Message);
        }
    }

    /// <summary>The built-in <c>artifacts</c> handler, in the set while <c>Artifacts:Enabled</c> (docs/artifacts.md).</summary>
    static readonly CodeHandlerRegistration ArtifactsHandler =
        CodeHandlerRegistration.Create(Artifacts.ArtifactCollector.HandlerName, typeof(Artifacts.ArtifactCollector));

    HandlerSet Build(GeminiHooksOptions options)
    {
        var handlers = new Dictionary<string, HandlerDescriptor>(StringComparer.Ordinal);
        foreach (var code in options.Artifacts.Enabled ? _code.Append(ArtifactsHandler) : _code)
            handlers[code.Name] = new HandlerDescriptor(code.Name, "code", HandlerFlow.Resolve(code.Flow, options.Dispatch), code.Accepts, code.CanHandle, code.InvokeAsync);
        foreach (var (name, configured) in options.Handlers)
        {
            var handler = _factory.Create(name, configured);
            var patterns = configured.Events.ToArray();
            handlers[name] = new HandlerDescriptor(name, configured.Type.ToLowerInvariant(), HandlerFlow.Resolve(configured, options.Dispatch), type => EventPattern.MatchesAny(patterns, type), _ => true,
                (_, e, cancellationToken) => handler.HandleAsync(e, cancellationToken));
        }
        return new HandlerSet(handlers);
    }

    public void Dispose() => _subscription?.Dispose();

    sealed record HandlerSet(Dictionary<string, HandlerDescriptor> Handlers)
    {
        public ConcurrentDictionary<string, string[]> ByType { get; } = new(StringComparer.Ordinal);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Handler configuration reloaded: {Count} handlers")]
    static partial void LogReloaded(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handler configuration reload rejected, the previous handlers stay: {Reason}")]
    static partial void LogReloadRejected(ILogger logger, string reason);
}

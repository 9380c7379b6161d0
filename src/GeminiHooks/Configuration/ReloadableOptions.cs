using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace GeminiHooks.Configuration;

/// <summary>
/// The <see cref="IOptionsMonitor{TOptions}"/> for <see cref="GeminiHooksOptions"/>. At start an invalid configuration
/// throws (the service stops with one line per bad key). On a reload, an invalid configuration is refused and logged,
/// and the last good one keeps serving: with the framework's monitor every request would throw (a 500) until the typo
/// was fixed, and the reload callback itself would throw on the file watcher's thread.
/// </summary>
sealed partial class ReloadableOptions : IOptionsMonitor<GeminiHooksOptions>, IDisposable
{
    readonly IOptionsFactory<GeminiHooksOptions> _factory;
    readonly ILogger _logger;
    readonly List<IDisposable> _registrations = [];
    readonly Lock _listenersLock = new();
    volatile Action<GeminiHooksOptions, string?>[] _listeners = [];
    volatile GeminiHooksOptions? _current;

    public ReloadableOptions(IOptionsFactory<GeminiHooksOptions> factory,
        IEnumerable<IOptionsChangeTokenSource<GeminiHooksOptions>> sources, ILogger<ReloadableOptions> logger)
    {
        _factory = factory;
        _logger = logger;
        foreach (var source in sources)
            _registrations.Add(ChangeToken.OnChange(source.GetChangeToken, Reload));
    }

    public GeminiHooksOptions CurrentValue => _current ?? Load();

    public GeminiHooksOptions Get(string? name) =>
        string.IsNullOrEmpty(name) ? CurrentValue : _factory.Create(name);

    public IDisposable OnChange(Action<GeminiHooksOptions, string?> listener)
    {
        lock (_listenersLock)
            _listeners = [.. _listeners, listener];
        return new Subscription(this, listener);
    }

    GeminiHooksOptions Load()
    {
        lock (_listenersLock)
            return _current ??= _factory.Create(Options.DefaultName); // throws at start: nothing good to keep yet
    }

    void Reload()
    {
        GeminiHooksOptions next;
        try
        {
            next = _factory.Create(Options.DefaultName);
        }
        catch (OptionsValidationException e)
        {
            foreach (var failure in e.Failures)
                LogReloadRefused(_logger, failure);
            return;
        }
        _current = next;
        foreach (var listener in _listeners)
            listener(next, Options.DefaultName);
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
            registration.Dispose();
    }

    sealed class Subscription(ReloadableOptions owner, Action<GeminiHooksOptions, string?> listener) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._listenersLock)
                owner._listeners = owner._listeners.Where(l => l != listener).ToArray();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Configuration reload refused, the previous configuration stays in force: {Failure}")]
    static partial void LogReloadRefused(ILogger logger, string failure);
}

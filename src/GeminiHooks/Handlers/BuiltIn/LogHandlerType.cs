using GeminiHooks.Configuration;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Handlers.BuiltIn;

sealed class LogHandlerType(ILoggerFactory loggers) : IConfiguredHandlerType
{
    public string Name => BuiltInHandlerTypes.Log;

    public void Validate(string key, HandlerOptions options, ICollection<string> failures) { }

    public IGeminiEventHandler Create(string name, HandlerOptions options) =>
        new LogHandler(name, loggers.CreateLogger("GeminiHooks.Handlers.Log"));
}

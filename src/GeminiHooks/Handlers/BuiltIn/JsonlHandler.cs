using GeminiHooks.Events;

namespace GeminiHooks.Handlers.BuiltIn;

/// <summary><c>jsonl</c>: appends each event once to a file, one JSON object per line.</summary>
sealed class JsonlHandler(JsonlFiles files, string path) : IGeminiEventHandler
{
    public Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken) =>
        files.Get(path).AppendOnceAsync(@event, cancellationToken);
}

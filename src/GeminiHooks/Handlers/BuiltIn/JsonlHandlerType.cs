using GeminiHooks.Configuration;

namespace GeminiHooks.Handlers.BuiltIn;

sealed class JsonlHandlerType(JsonlFiles files) : IConfiguredHandlerType
{
    public string Name => BuiltInHandlerTypes.Jsonl;

    public void Validate(string key, HandlerOptions options, ICollection<string> failures)
    {
        if (string.IsNullOrWhiteSpace(options.Path))
            failures.Add($"{key}:Path is required for Type 'jsonl'");
    }

    public IGeminiEventHandler Create(string name, HandlerOptions options) => new JsonlHandler(files, options.Path!);
}

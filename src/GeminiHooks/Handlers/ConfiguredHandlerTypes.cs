using GeminiHooks.Configuration;

namespace GeminiHooks.Handlers;

/// <summary>The registered <see cref="IConfiguredHandlerType"/>s by name, shared by validation and the catalog.</summary>
sealed class ConfiguredHandlerTypes(IEnumerable<IConfiguredHandlerType> types)
{
    readonly Dictionary<string, IConfiguredHandlerType> _byName =
        types.GroupBy(t => t.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Last(), StringComparer.OrdinalIgnoreCase);

    /// <summary>For messages: the built-ins first, in their documented order, then the others by name.</summary>
    public string List { get; } = string.Join(", ", types.Select(t => t.Name).Distinct(StringComparer.OrdinalIgnoreCase));

    public IConfiguredHandlerType? Find(string? type) => type is null ? null : _byName.GetValueOrDefault(type);

    /// <exception cref="InvalidOperationException">The settings are invalid (start-up validation normally catches this first).</exception>
    public IGeminiEventHandler Create(string name, HandlerOptions options)
    {
        var key = $"{GeminiHooksOptions.SectionName}:Handlers:{name}";
        var type = Find(options.Type)
            ?? throw new InvalidOperationException($"{key}:Type '{options.Type}' is unknown (one of {List})");
        var failures = new List<string>();
        type.Validate(key, options, failures);
        if (failures.Count > 0)
            throw new InvalidOperationException(string.Join("; ", failures));
        return type.Create(name, options);
    }
}

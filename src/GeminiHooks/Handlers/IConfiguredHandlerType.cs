using GeminiHooks.Configuration;

namespace GeminiHooks.Handlers;

/// <summary>
/// One value of <c>GeminiHooks:Handlers:&lt;name&gt;:Type</c>: how its settings are checked and how its handler is made.
/// The built-in types (<c>log</c>, <c>jsonl</c>, <c>http</c>, <c>slack</c>) are registered this way, and so are types
/// from other assemblies (the broker handlers), with <see cref="Hosting.GeminiHooksHandlerTypeServiceCollectionExtensions.AddGeminiHooksHandlerType{T}"/>.
/// Registered as a singleton, so it is the place to keep what handlers share (connections); handlers themselves are
/// rebuilt on every configuration reload.
/// </summary>
public interface IConfiguredHandlerType
{
    /// <summary>The <c>Type</c> value, lower case (configuration may spell it in any case).</summary>
    string Name { get; }

    /// <summary>
    /// Adds one line per bad setting to <paramref name="failures"/>, each starting with <paramref name="key"/>
    /// (<c>GeminiHooks:Handlers:&lt;name&gt;</c>) and the setting, e.g. <c>GeminiHooks:Handlers:bus:Uri is required</c>.
    /// Lines must not echo values that may carry credentials.
    /// </summary>
    void Validate(string key, HandlerOptions options, ICollection<string> failures);

    /// <summary>Makes the handler named <paramref name="name"/>; the options have passed <see cref="Validate"/>.</summary>
    IGeminiEventHandler Create(string name, HandlerOptions options);
}

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

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

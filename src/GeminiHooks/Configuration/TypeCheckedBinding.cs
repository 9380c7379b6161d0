using System.Collections;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Configuration;

/// <summary>
/// Binding that turns a value of the wrong type (<c>Tolerance=5m</c>, <c>MaxBodyBytes=abc</c>, <c>Enabled=yes</c>)
/// into a validation failure naming the key, instead of the binder's exception. The binder throws on the first bad value,
/// before any validator runs, so one typo would hide every other message: here each value is converted first the way
/// the binder would, the bad ones are left out of the binding (their defaults stay) and reported together with the
/// validators' own failures.
/// </summary>
public static class TypeCheckedBinding
{
    public static OptionsBuilder<T> BindTypeChecked<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] T>(
        this OptionsBuilder<T> builder, IConfigurationSection section) where T : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        var problems = new TypeProblems<T>();
        builder.Services.AddSingleton<IValidateOptions<T>>(problems);
        // As Bind does: a change of the section re-creates the options (and re-checks the values).
        builder.Services.AddSingleton<IOptionsChangeTokenSource<T>>(new ConfigurationChangeTokenSource<T>(builder.Name, section));
        builder.Configure(options =>
        {
            var values = section.AsEnumerable(makePathsRelative: true).Where(p => p.Value is not null).ToList();
            var found = new List<string>();
            var good = new List<KeyValuePair<string, string?>>();
            foreach (var pair in values)
            {
                if (Problem(typeof(T), pair.Key, pair.Value!) is { } problem)
                    found.Add($"{section.Path}:{pair.Key}: {problem}");
                else
                    good.Add(pair);
            }
            problems.Current = found;
            new ConfigurationBuilder().AddInMemoryCollection(good).Build().Bind(options);
        });
        return builder;
    }

    /// <summary>Why <paramref name="value"/> cannot be bound at <paramref name="path"/> below <paramref name="root"/>, or null.</summary>
    static string? Problem(Type root, string path, string value)
    {
        var type = root;
        foreach (var segment in path.Split(':'))
        {
            if (DictionaryValueType(type) is { } valueType)
                type = valueType;
            else if (ListElementType(type) is { } elementType)
            {
                if (!int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    return null; // not something the binder reads
                type = elementType;
            }
            else if (type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is { } property)
                type = property.PropertyType;
            else
                return null; // unknown keys are not this check's business
        }
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(string) || value.Length == 0 || !IsScalar(target))
            return null;
        try
        {
            TypeDescriptor.GetConverter(target).ConvertFromInvariantString(value);
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException or NotSupportedException)
        {
            var shown = value.Length > 40 ? value[..40] + "…" : value;
            return $"'{shown}' is not {Expected(target)}";
        }
    }

    static bool IsScalar(Type type) => type.IsPrimitive || type.IsEnum || type == typeof(decimal) || type == typeof(TimeSpan) ||
                                       type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Uri) || type == typeof(Guid);

    static string Expected(Type type) => type switch
    {
        _ when type == typeof(TimeSpan) => "a time span ([d.]hh:mm:ss, e.g. 00:05:00 for five minutes)",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) || type == typeof(long) || type == typeof(short) => "a whole number",
        _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "a number",
        _ when type.IsEnum => "one of " + string.Join(", ", Enum.GetNames(type)),
        _ => "a valid " + type.Name,
    };

    static Type? DictionaryValueType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var d &&
        (d == typeof(Dictionary<,>) || d == typeof(IDictionary<,>) || d == typeof(IReadOnlyDictionary<,>))
            ? type.GetGenericArguments()[1]
            : null;

    static Type? ListElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[0]
        : null;

    /// <summary>The conversion failures of the last binding, reported as validation failures (reloads re-bind).</summary>
    sealed class TypeProblems<T> : IValidateOptions<T> where T : class
    {
        public volatile IReadOnlyList<string> Current = [];

        public ValidateOptionsResult Validate(string? name, T options) =>
            Current.Count == 0 ? ValidateOptionsResult.Skip : ValidateOptionsResult.Fail(Current);
    }
}

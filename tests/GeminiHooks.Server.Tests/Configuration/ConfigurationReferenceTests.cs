using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using GeminiHooks.Configuration;
using Microsoft.Extensions.Configuration;

namespace GeminiHooks.Server.Tests.Configuration;

/// <summary>
/// Defaults are written in three places: the options classes (what an embedding app gets), the repository's
/// <c>appsettings.json</c> (the server's complete file of defaults) and the table in <c>docs/configuration.md</c>.
/// These tests fail when a key exists in one and not another, or when a default differs.
/// </summary>
public class ConfigurationReferenceTests
{
    const string HandlerPrefix = "Handlers:<name>";

    static readonly string ReferencePath = Path.Combine(Repository.Root, "docs", "configuration.md");
    static readonly string AppSettingsPath = Path.Combine(Repository.Root, "appsettings.json");

    [Fact]
    public void The_reference_documents_every_setting_with_its_default_and_nothing_else()
    {
        var code = OptionsDefaults();
        var documented = ReferenceTable();

        Assert.Empty(code.Keys.Except(documented.Keys).Select(k => $"{k} is an option but not in docs/configuration.md"));
        Assert.Empty(documented.Keys.Except(code.Keys).Select(k => $"{k} is in docs/configuration.md but no option has that name"));
        Assert.Empty(code.Where(c => documented[c.Key] != c.Value)
            .Select(c => $"{c.Key}: the options default is '{c.Value}', docs/configuration.md says '{documented[c.Key]}'"));
    }

    [Fact]
    public void Appsettings_json_names_every_setting_and_nothing_else()
    {
        // Handler entries are examples under a name the operator picks; the file has the empty dictionary itself.
        var code = OptionsDefaults().Keys.Where(k => !k.StartsWith(HandlerPrefix + ":", StringComparison.Ordinal)).ToHashSet();
        var file = AppSettingsKeys();

        Assert.Empty(code.Except(file).Select(k => $"{k} is an option but not in appsettings.json"));
        Assert.Empty(file.Except(code).Select(k => $"{k} is in appsettings.json but no option has that name"));
    }

    [Fact]
    public void Appsettings_json_binds_to_exactly_the_defaults()
    {
        // Bound the way the server binds it, so a value that reads the same but binds differently (a list entry that
        // the binder appends to a non-empty default, null for a number) is caught as well.
        var configuration = new ConfigurationBuilder().AddJsonFile(AppSettingsPath, optional: false).Build();
        var section = configuration.GetSection(GeminiHooksOptions.SectionName);
        var bound = new Dictionary<string, string>(StringComparer.Ordinal);
        Walk(section.Get<GeminiHooksOptions>() ?? new GeminiHooksOptions(), "", bound);
        Walk(section.Get<ServerOptions>() ?? new ServerOptions(), "", bound);

        var defaults = OptionsDefaults();
        Assert.Empty(bound.Where(b => defaults[b.Key] != b.Value)
            .Select(b => $"{b.Key}: appsettings.json gives '{b.Value}', the options default is '{defaults[b.Key]}'"));
    }

    [Fact]
    public void The_walk_sees_nested_settings_and_formats_defaults_as_the_reference_writes_them()
    {
        // Guards the reflection itself: if it stopped descending, the tests above would compare two empty sets.
        var defaults = OptionsDefaults();
        Assert.Equal("00:05:00", defaults["Tolerance"]);
        Assert.Equal("[]", defaults["Static:Secrets"]);
        Assert.Equal("1.00:00:00", defaults["Dynamic:JwksMaxAge"]);
        Assert.Equal("9464", defaults["Metrics:Port"]);
        Assert.Equal("null", defaults["Metrics:OtlpEndpoint"]);
        Assert.Equal("{}", defaults["Handlers"]);
        Assert.Equal("00:00:10", defaults[HandlerPrefix + ":Timeout"]);
        Assert.True(defaults.Count > 40, $"only {defaults.Count} settings found");
    }

    /// <summary>Every public settable property of the library's and the server's options, nested, with its default.</summary>
    static Dictionary<string, string> OptionsDefaults()
    {
        var defaults = new Dictionary<string, string>(StringComparer.Ordinal);
        Walk(new GeminiHooksOptions(), "", defaults);
        Walk(new ServerOptions(), "", defaults);
        Walk(new HandlerOptions(), HandlerPrefix, defaults);
        return defaults;
    }

    static void Walk(object options, string prefix, Dictionary<string, string> into)
    {
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is not { IsPublic: true })
                continue;
            var key = prefix.Length == 0 ? property.Name : $"{prefix}:{property.Name}";
            var value = property.GetValue(options);
            if (IsLeaf(property.PropertyType))
                Assert.True(into.TryAdd(key, Format(value)), $"{key} appears twice (a library and a server option with one name?)");
            else if (value is IDictionary dictionary)
                into[key] = dictionary.Count == 0 ? "{}" : "(entries)"; // entries are documented per key under Handlers:<name>
            else if (value is not null)
                Walk(value, key, into);
            else
                Assert.Fail($"{key}: a nested options object without a default instance");
        }
    }

    static bool IsLeaf(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(List<string>);
    }

    /// <summary>Formats a default the way docs/configuration.md writes it (and appsettings.json holds it).</summary>
    static string Format(object? value) => value switch
    {
        null => "null",
        "" => "\"\"",
        string s => s,
        bool b => b ? "true" : "false",
        TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
        List<string> list => "[" + string.Join(", ", list) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "null",
    };

    /// <summary>The rows of every <c>| key | default | meaning |</c> table: the key and default cells, unquoted.</summary>
    static Dictionary<string, string> ReferenceTable()
    {
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        var inTable = false;
        foreach (var line in File.ReadLines(ReferencePath))
        {
            if (!line.StartsWith('|'))
            {
                inTable = false;
                continue;
            }
            var cells = line.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (cells is ["key", "default", "meaning"])
            {
                inTable = true;
                continue;
            }
            if (!inTable || cells[0].StartsWith("---", StringComparison.Ordinal))
                continue;
            Assert.True(cells.Length >= 3, $"docs/configuration.md: a row without key, default and meaning: {line}");
            var key = Unquote(cells[0]);
            Assert.True(rows.TryAdd(key, Unquote(cells[1])), $"docs/configuration.md lists {key} twice");
        }
        Assert.NotEmpty(rows);
        return rows;
    }

    static string Unquote(string cell) =>
        cell.Length >= 2 && cell[0] == '`' && cell[^1] == '`' ? cell[1..^1] : cell;

    /// <summary>The keys under GeminiHooks in appsettings.json: leaves, lists and empty objects (the handler dictionary).</summary>
    static HashSet<string> AppSettingsKeys()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(AppSettingsPath),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var keys = new HashSet<string>(StringComparer.Ordinal);
        Collect(document.RootElement.GetProperty(GeminiHooksOptions.SectionName), "");
        return keys;

        void Collect(JsonElement element, string prefix)
        {
            foreach (var property in element.EnumerateObject())
            {
                var key = prefix.Length == 0 ? property.Name : $"{prefix}:{property.Name}";
                if (property.Value.ValueKind == JsonValueKind.Object && property.Value.EnumerateObject().Any())
                    Collect(property.Value, key);
                else
                    Assert.True(keys.Add(key), $"appsettings.json names {key} twice");
            }
        }
    }
}

using GeminiHooks.Configuration;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Storage.Sqlite;

/// <summary>
/// A SQLite file that cannot be created, opened or written is a setting to fix: checked with the other settings, so the
/// start ends with one line naming <c>Store:ConnectionString</c> and exit code 2 rather than a failed hosted service.
/// The line names the file only, never the whole connection string (it may carry a password).
/// </summary>
sealed class SqlitePathValidator : IValidateOptions<GeminiHooksOptions>
{
    public ValidateOptionsResult Validate(string? name, GeminiHooksOptions options)
    {
        if (!string.Equals(options.Store.Provider, "Sqlite", StringComparison.OrdinalIgnoreCase) ||
            string.IsNullOrWhiteSpace(options.Store.ConnectionString))
            return ValidateOptionsResult.Success;
        string dataSource;
        try
        {
            dataSource = new SqliteConnectionStringBuilder(options.Store.ConnectionString).DataSource;
        }
        catch (ArgumentException e)
        {
            return Fail($"is not a SQLite connection string ({e.Message})");
        }
        if (dataSource is ":memory:" or "")
            return ValidateOptionsResult.Success;
        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(dataSource));
            if (!string.IsNullOrEmpty(directory))
                Directory.CreateDirectory(directory);
            // The store's own settings (mode, password) apply; pooling off so the check leaves no connection behind.
            var builder = new SqliteConnectionStringBuilder(options.Store.ConnectionString) { Pooling = false };
            using var connection = new SqliteConnection(builder.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            // A write the database keeps no trace of: fails on a read-only file or folder.
            command.CommandText = "BEGIN IMMEDIATE; ROLLBACK;";
            command.ExecuteNonQuery();
            return ValidateOptionsResult.Success;
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
        {
            return Fail($"the SQLite database '{dataSource}' cannot be opened or written ({e.Message}); check the path and its permissions");
        }
    }

    static ValidateOptionsResult Fail(string problem) =>
        ValidateOptionsResult.Fail($"{GeminiHooksOptions.SectionName}:Store:ConnectionString: {problem}");
}

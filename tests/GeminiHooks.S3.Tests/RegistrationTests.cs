using GeminiHooks.Artifacts;
using GeminiHooks.Configuration;
using GeminiHooks.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GeminiHooks.S3.Tests;

/// <summary>
/// <c>AddGeminiHooksS3</c> makes the S3 store the artifact store only when <c>Artifacts:Store</c> is <c>S3</c>, and its
/// settings are checked at start with one line per bad key.
/// </summary>
public sealed class RegistrationTests
{
    static IConfiguration Configuration(params (string Key, string Value)[] settings) => new ConfigurationBuilder()
        .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>("GeminiHooks:Artifacts:" + s.Key, s.Value)))
        .Build();

    static ServiceProvider Provider(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(configuration);
        // What the artifacts default registers before: the S3 store must take its place.
        services.AddSingleton<IArtifactStore, EarlierStore>();
        services.AddGeminiHooksS3(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task With_Store_S3_the_artifact_store_is_the_S3_store_and_replaces_the_earlier_one()
    {
        var configuration = Configuration(("Store", "S3"), ("S3:Bucket", TestS3.Bucket), ("S3:ServiceUrl", TestS3.Url),
            ("S3:ForcePathStyle", "true"), ("S3:Prefix", S3TestServer.NewPrefix()));
        await using var provider = Provider(configuration);

        var store = Assert.Single(provider.GetServices<IArtifactStore>());

        Assert.Equal("S3", store.Name);
        Assert.Same(store, provider.GetRequiredService<IArtifactStore>());
        // It is the configured one: it puts into the test server's bucket under the prefix.
        using var temp = new TempDirectory();
        var file = TestFiles.Random(temp.File("f"), 100);
        var location = await store.PutAsync("f", file, CancellationToken.None);
        Assert.Equal($"s3://{TestS3.Bucket}/{configuration["GeminiHooks:Artifacts:S3:Prefix"]}f", location);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("FileSystem")]
    public async Task With_any_other_store_the_earlier_store_stays_the_artifact_store_and_S3_settings_are_not_checked(string? store)
    {
        var configuration = store is null ? Configuration() : Configuration(("Store", store));
        await using var provider = Provider(configuration);

        Assert.IsType<EarlierStore>(Assert.Single(provider.GetServices<IArtifactStore>()));
        Assert.IsType<EarlierStore>(provider.GetRequiredService<IArtifactStore>());
        // The S3 settings (no bucket here) are checked only when S3 is the store.
        _ = provider.GetRequiredService<IOptions<GeminiHooksOptions>>().Value;
    }

    [Fact]
    public async Task The_store_is_chosen_from_the_configuration_as_it_is_when_first_resolved()
    {
        // A test host adds its settings file after the application composed its services.
        var configuration = new ConfigurationManager();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<IArtifactStore, EarlierStore>();
        services.AddGeminiHooksS3(configuration);
        configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GeminiHooks:Artifacts:Store"] = "S3",
            ["GeminiHooks:Artifacts:S3:Bucket"] = TestS3.Bucket,
            ["GeminiHooks:Artifacts:S3:ServiceUrl"] = TestS3.Url,
        });
        await using var provider = services.BuildServiceProvider();

        Assert.Equal("S3", provider.GetRequiredService<IArtifactStore>().Name);
    }

    [Fact]
    public async Task Another_store_with_none_registered_before_is_an_error_that_says_so()
    {
        var configuration = Configuration(("Store", "FileSystem"));
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddGeminiHooksS3(configuration);
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IArtifactStore>());

        Assert.Equal("GeminiHooks:Artifacts:Store is 'FileSystem', but no such artifact store was registered before AddGeminiHooksS3", error.Message);
    }

    [Fact]
    public void A_second_call_registers_nothing_again()
    {
        var configuration = Configuration(("Store", "s3"), ("S3:Bucket", "b"), ("S3:ServiceUrl", "http://127.0.0.1:1"));
        var services = new ServiceCollection();
        services.AddGeminiHooksS3(configuration);
        var count = services.Count;
        services.AddGeminiHooksS3(configuration);
        Assert.Equal(count, services.Count);
    }

    [Theory]
    [InlineData("S3:Bucket", "", "GeminiHooks:Artifacts:S3:Bucket: is empty: name the bucket artifacts are put in (Artifacts:Store is S3)")]
    [InlineData("S3:ServiceUrl", "127.0.0.1:9000", "GeminiHooks:Artifacts:S3:ServiceUrl: '127.0.0.1:9000' is not an absolute http or https URL (e.g. http://127.0.0.1:9000)")]
    [InlineData("S3:ServiceUrl", "ftp://files.example", "GeminiHooks:Artifacts:S3:ServiceUrl: 'ftp://files.example' is not an absolute http or https URL (e.g. http://127.0.0.1:9000)")]
    [InlineData("S3:ServiceUrl", "http://key:hunter2@127.0.0.1:9000", "GeminiHooks:Artifacts:S3:ServiceUrl: must not carry credentials: the AWS SDK reads them from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile or a role")]
    [InlineData("S3:Prefix", "/gemini/", "GeminiHooks:Artifacts:S3:Prefix: '/gemini/' must not start with '/' (object keys are relative to the bucket)")]
    [InlineData("S3:ForcePathStyle", "sometimes", "GeminiHooks:Artifacts:S3:ForcePathStyle: ")]
    public async Task A_bad_setting_is_one_line_naming_its_key(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string>
        {
            ["Store"] = "S3",
            ["S3:Bucket"] = "geminihooks",
            ["S3:ServiceUrl"] = "http://127.0.0.1:9000",
            [key] = value,
        };
        await using var provider = Provider(Configuration([.. settings.Select(s => (s.Key, s.Value))]));

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<GeminiHooksOptions>>().Value);

        var line = Assert.Single(error.Failures);
        Assert.StartsWith(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_ServiceUrl_a_region_is_needed_from_the_settings_or_the_environment()
    {
        Assert.True(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AWS_REGION")) &&
                    string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION")),
            "this test expects no AWS_REGION / AWS_DEFAULT_REGION in its environment");
        await using var without = Provider(Configuration(("Store", "S3"), ("S3:Bucket", "b")));
        await using var with = Provider(Configuration(("Store", "S3"), ("S3:Bucket", "b"), ("S3:Region", "eu-west-1")));

        var error = Assert.Throws<OptionsValidationException>(() => without.GetRequiredService<IOptions<GeminiHooksOptions>>().Value);

        Assert.StartsWith("GeminiHooks:Artifacts:S3:Region: is empty", Assert.Single(error.Failures), StringComparison.Ordinal);
        _ = with.GetRequiredService<IOptions<GeminiHooksOptions>>().Value;
        Assert.Equal("eu-west-1", with.GetRequiredService<IOptions<ArtifactOptions>>().Value.S3.Region);
    }

    /// <summary>Stands for the store registered before (the FileSystem default); never called.</summary>
    sealed class EarlierStore : IArtifactStore
    {
        public string Name => "FileSystem";
        public Task<string> PutAsync(string objectName, string localFile, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<Stream> OpenReadAsync(string location, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}

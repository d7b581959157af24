using System.Reflection;

namespace Interp.Tests.Autograd.Ops;

/// <summary>Marks a static class of op specs: its public static OpSpec fields and properties join <see cref="OpTable"/>.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class OpSpecsAttribute : Attribute;

/// <summary>Every op spec, gathered from the [OpSpecs] classes (one per file of src/Autograd/Ops), by name.</summary>
public static class OpTable
{
    public static readonly IReadOnlyDictionary<string, OpSpec> Specs = Gather().ToDictionary(s => s.Name);

    static IEnumerable<OpSpec> Gather() =>
        typeof(OpTable).Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<OpSpecsAttribute>() is not null)
            .SelectMany(t => t.GetMembers(BindingFlags.Public | BindingFlags.Static))
            .SelectMany(m => m switch
            {
                FieldInfo f when f.FieldType == typeof(OpSpec) => [(OpSpec)f.GetValue(null)!],
                PropertyInfo p when p.PropertyType == typeof(OpSpec) => [(OpSpec)p.GetValue(null)!],
                _ => Array.Empty<OpSpec>(),
            })
            .OrderBy(s => s.Name, StringComparer.Ordinal);

    public static IEnumerable<OpSpec> Where(Func<OpSpec, bool> keep) => Specs.Values.Where(keep);

    /// <summary>The fixture with this name and the spec it belongs to.</summary>
    public static (OpSpec spec, Fixture fixture) Fixture(string name) =>
        Specs.Values.SelectMany(s => s.Fixtures.Select(f => (s, f))).Single(p => p.f.Name == name);

    /// <summary>Names as xunit MemberData rows.</summary>
    public static IEnumerable<object[]> Rows(Func<OpSpec, bool> keep) => Where(keep).Select(s => new object[] { s.Name });
}

using System.Reflection;

namespace Interp.Tests.Autograd.Ops;

/// <summary>Marks a static class of op specs: its public static OpSpec fields and BadInput[] fields join <see cref="OpTable"/>.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class OpSpecsAttribute : Attribute;

/// <summary>Every op spec, gathered from the [OpSpecs] classes (one per file of src/Autograd/Ops), by name.</summary>
public static class OpTable
{
    public static readonly IReadOnlyDictionary<string, OpSpec> Specs = Gather().ToDictionary(s => s.Name);

    /// <summary>The bad calls written in the spec files (the generated ones are in GeneratedBadInputs).</summary>
    public static readonly IReadOnlyList<BadInput> WrittenBadInputs = Fields<BadInput[]>().SelectMany(b => b).ToArray();

    static IEnumerable<OpSpec> Gather() => Fields<OpSpec>().OrderBy(s => s.Name, StringComparer.Ordinal);

    static IEnumerable<T> Fields<T>() =>
        typeof(OpTable).Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<OpSpecsAttribute>() is not null)
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.FieldType == typeof(T))
            .Select(f => (T)f.GetValue(null)!);

    public static IEnumerable<OpSpec> Where(Func<OpSpec, bool> keep) => Specs.Values.Where(keep);

    /// <summary>The fixture with this name and the spec it belongs to.</summary>
    public static (OpSpec spec, Fixture fixture) Fixture(string name) =>
        Specs.Values.SelectMany(s => s.Fixtures.Select(f => (s, f))).Single(p => p.f.Name == name);

    /// <summary>Names as xunit MemberData rows.</summary>
    public static IEnumerable<object[]> Rows(Func<OpSpec, bool> keep) => Where(keep).Select(s => new object[] { s.Name });
}

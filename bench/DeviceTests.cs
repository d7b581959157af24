using System.Collections;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;

namespace Interp.Bench;

/// <summary>
/// `Interp.Bench device-tests PATH/Interp.Tests.dll [--gpu | --all]`: runs the xunit facts and theories of the test
/// assembly by reflection, for the device machine, which has CUDA but no .NET SDK (so no `dotnet test`). By default it
/// runs every [CudaFact]/[CudaTheory] (the tests CI skips); --gpu adds the rest of namespace Interp.Tests.Gpu (ILGPU's CPU
/// accelerator, which CI runs too); --all runs every fact and theory.
/// It understands what those tests use: [Fact]/[Theory] with [InlineData] and [MemberData], Skip, a constructor taking
/// nothing or an ITestOutputHelper, IDisposable. FsCheck properties are counted as not run here. Prints one line per
/// failure and ends with `device tests: N passed, M failed, K skipped, P not run here`; exit status 1 on any failure.
/// </summary>
public static class DeviceTests
{
    public static int Run(string[] args)
    {
        if (args.Length == 0) throw new ArgumentException("device-tests: give the path of Interp.Tests.dll");
        string path = Path.GetFullPath(args[0]);
        bool all = args.Contains("--all"), gpu = args.Contains("--gpu");
        var context = new FolderLoadContext(Path.GetDirectoryName(path)!);
        var assembly = context.LoadFromAssemblyPath(path);
        int passed = 0, failed = 0, skipped = 0, notRun = 0;
        foreach (var method in assembly.GetTypes().Where(t => t.IsClass && !t.IsAbstract).SelectMany(t => t.GetMethods()))
        {
            var fact = method.GetCustomAttributes().FirstOrDefault(a => IsA(a.GetType(), "Xunit.FactAttribute"));
            if (fact is null || !(all || Selected(method, fact, gpu))) continue;
            string name = $"{method.DeclaringType!.FullName}.{method.Name}";
            if (fact.GetType().Name == "PropertyAttribute") { notRun++; continue; }
            if (fact.GetType().GetProperty("Skip")?.GetValue(fact) is string reason)
            {
                skipped++;
                Console.WriteLine($"SKIP {name}: {reason}");
                continue;
            }
            foreach (var data in Cases(method))
            {
                var t0 = Stopwatch.GetTimestamp();
                string? error = RunOne(method, data);
                string label = data.Length == 0 ? name : $"{name}({string.Join(", ", data.Select(d => d?.ToString()))})";
                if (error is null) passed++;
                else { failed++; Console.WriteLine($"FAIL {label}: {error}"); }
                Console.Error.WriteLine($"{(error is null ? "ok  " : "FAIL")} {label} ({Stopwatch.GetElapsedTime(t0).TotalSeconds:F1} s)");
            }
        }
        Console.WriteLine($"device tests: {passed} passed, {failed} failed, {skipped} skipped, {notRun} not run here");
        return failed == 0 ? 0 : 1;
    }

    static bool Selected(MethodInfo method, Attribute fact, bool gpuNamespace) =>
        fact.GetType().Name.StartsWith("Cuda", StringComparison.Ordinal) ||
        gpuNamespace && method.DeclaringType!.Namespace?.EndsWith(".Gpu", StringComparison.Ordinal) == true;

    static bool IsA(Type? type, string fullName)
    {
        for (; type is not null; type = type.BaseType)
            if (type.FullName == fullName) return true;
        return false;
    }

    /// <summary>The argument lists: one empty list for a fact, each [InlineData] and each row of each [MemberData] for a theory.</summary>
    static IEnumerable<object?[]> Cases(MethodInfo method)
    {
        if (method.GetParameters().Length == 0) { yield return []; yield break; }
        foreach (var a in method.GetCustomAttributesData())
        {
            if (a.AttributeType.Name == "InlineDataAttribute")
            {
                var values = (IReadOnlyCollection<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!;
                yield return [.. values.Select(v => v.Value)];
            }
            else if (a.AttributeType.Name == "MemberDataAttribute")
            {
                string member = (string)a.ConstructorArguments[0].Value!;
                var owner = a.NamedArguments.FirstOrDefault(n => n.MemberName == "MemberType").TypedValue.Value as Type ?? method.DeclaringType!;
                var m = owner.GetMember(member, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.FlattenHierarchy).First();
                object? rows = m switch
                {
                    PropertyInfo p => p.GetValue(null),
                    FieldInfo f => f.GetValue(null),
                    MethodInfo mi => mi.Invoke(null, []),
                    _ => null,
                };
                foreach (var row in (IEnumerable)rows!) yield return (object?[])(row is object?[] r ? r : ((IEnumerable)row).Cast<object?>().ToArray());
            }
        }
    }

    /// <summary>Runs one case on a fresh instance; null when it passed, else the failure's first line.</summary>
    static string? RunOne(MethodInfo method, object?[] data)
    {
        object? instance = null;
        try
        {
            if (!method.IsStatic) instance = Create(method.DeclaringType!);
            var result = method.Invoke(instance, data);
            if (result is Task task) task.GetAwaiter().GetResult();
            return null;
        }
        catch (Exception e)
        {
            var inner = e is TargetInvocationException { InnerException: { } ie } ? ie : e;
            return $"{inner.GetType().Name}: {inner.Message.Split('\n')[0]}";
        }
        finally
        {
            (instance as IDisposable)?.Dispose();
        }
    }

    static object Create(Type type)
    {
        var ctor = type.GetConstructors().OrderBy(c => c.GetParameters().Length).First();
        var args = ctor.GetParameters().Select(p => p.ParameterType.Name == "ITestOutputHelper"
            ? ConsoleOutput.For(p.ParameterType)
            : Activator.CreateInstance(p.ParameterType)).ToArray();
        return ctor.Invoke(args);
    }

    /// <summary>An ITestOutputHelper (of whichever xunit the tests use) that writes to stderr.</summary>
    class ConsoleOutput : DispatchProxy
    {
        public static object For(Type helper) =>
            typeof(DispatchProxy).GetMethod(nameof(DispatchProxy.Create), 2, Type.EmptyTypes)!.MakeGenericMethod(helper, typeof(ConsoleOutput)).Invoke(null, null)!;

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            if (args is { Length: > 0 } && args[0] is string format)
                Console.Error.WriteLine(args.Length > 1 && args[1] is object[] rest ? string.Format(format, rest) : format);
            return null;
        }
    }

    /// <summary>Resolves the test assembly's dependencies from its own folder (xunit, FsCheck, ILGPU ...).</summary>
    sealed class FolderLoadContext(string folder) : AssemblyLoadContext
    {
        protected override Assembly? Load(AssemblyName name)
        {
            string file = Path.Combine(folder, name.Name + ".dll");
            return File.Exists(file) ? LoadFromAssemblyPath(file) : null;
        }
    }
}

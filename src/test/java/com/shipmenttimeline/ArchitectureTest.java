package com.shipmenttimeline;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * Data flows one way: schemas -> transforms -> jobs; inside jobs, the entry point and the command
 * line sit on top, the two jobs and their run skeleton below them, then the rooms they use (source,
 * lake, warehouse, metrics), and configuration at the bottom. Development tools are never on the run path.
 */
class ArchitectureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("com.shipmenttimeline");

    private static final String JOBS = "com.shipmenttimeline.jobs";
    /** Every room below the command line. */
    private static final String[] BELOW_CLI = {JOBS + ".run..", JOBS + ".source..", JOBS + ".lake..", JOBS + ".warehouse..",
        JOBS + ".metrics..", JOBS + ".config..", JOBS + ".dev.."};
    /** What a base or incremental run executes. */
    private static final String[] RUN_PATH = {JOBS + ".run..", JOBS + ".source..", JOBS + ".lake..", JOBS + ".warehouse..",
        JOBS + ".metrics..", JOBS + ".config.."};

    @Test
    void transformsDoNotDependOnJobs() {
        noClasses().that().resideInAPackage("..transforms..").should().dependOnClassesThat().resideInAPackage("..jobs..")
                .check(CLASSES);
    }

    @Test
    void schemasDependOnNothingOfOurs() {
        noClasses().that().resideInAPackage("..schemas..").should().dependOnClassesThat()
                .resideInAnyPackage("..transforms..", "..jobs..").check(CLASSES);
    }

    @Test
    void transformsDoNoIoAndBuildNoSession() {
        noClasses().that().resideInAPackage("..transforms..").should().dependOnClassesThat()
                .resideInAnyPackage("java.nio.file..", "java.net..", "org.apache.hadoop..", "com.typesafe.config..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.sql.DriverManager")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.sql.Connection")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.io.File")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("org.apache.spark.sql.DataFrameReader")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("org.apache.spark.sql.DataFrameWriter")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("org.apache.spark.sql.SparkSession")
                .check(CLASSES);
    }

    @Test
    void nothingBelowTheCommandLineImportsIt() {
        noClasses().that().resideInAnyPackage(BELOW_CLI).should().dependOnClassesThat()
                .resideInAPackage(JOBS + ".cli..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName(JOBS + ".Launcher")
                .check(CLASSES);
    }

    @Test
    void theRunPathNeverImportsTheDevelopmentTools() {
        noClasses().that().resideInAnyPackage(RUN_PATH).should().dependOnClassesThat().resideInAPackage(JOBS + ".dev..")
                .check(CLASSES);
    }

    @Test
    void theRoomsTheJobsUseDoNotReachBackIntoTheJobs() {
        noClasses().that().resideInAnyPackage(JOBS + ".source..", JOBS + ".lake..", JOBS + ".warehouse..", JOBS + ".metrics..",
                JOBS + ".config..").should().dependOnClassesThat().resideInAPackage(JOBS + ".run..").check(CLASSES);
    }

    @Test
    void theSourceAndTheLakeKnowNothingOfTheWarehouseOrTheMetrics() {
        noClasses().that().resideInAnyPackage(JOBS + ".source..", JOBS + ".lake..").should().dependOnClassesThat()
                .resideInAnyPackage(JOBS + ".warehouse..", JOBS + ".metrics..").check(CLASSES);
    }

    @Test
    void configurationDependsOnNoOtherRoom() {
        noClasses().that().resideInAPackage(JOBS + ".config..").should().dependOnClassesThat()
                .resideInAnyPackage(JOBS + ".cli..", JOBS + ".run..", JOBS + ".source..", JOBS + ".lake..", JOBS + ".warehouse..",
                        JOBS + ".metrics..", JOBS + ".dev..").check(CLASSES);
    }

    @Test
    void neitherJobCallsTheOther() {
        noClasses().that().haveFullyQualifiedName(JOBS + ".run.DailyBaseJob").should().dependOnClassesThat()
                .haveFullyQualifiedName(JOBS + ".run.IncrementalJob").check(CLASSES);
        noClasses().that().haveFullyQualifiedName(JOBS + ".run.IncrementalJob").should().dependOnClassesThat()
                .haveFullyQualifiedName(JOBS + ".run.DailyBaseJob").check(CLASSES);
    }

    @Test
    void onlyTheWarehouseOpensConnections() {
        noClasses().that().resideOutsideOfPackage(JOBS + ".warehouse..").should().dependOnClassesThat()
                .haveFullyQualifiedName("java.sql.DriverManager").check(CLASSES);
    }

    @Test
    void onlyTheMetricsTalkToAws() {
        noClasses().that().resideOutsideOfPackage(JOBS + ".metrics..").should().dependOnClassesThat()
                .resideInAPackage("software.amazon.awssdk..").check(CLASSES);
    }

    @Test
    void theRoomsOfJobsFormNoCycle() {
        slices().matching(JOBS + ".(*)..").should().beFreeOfCycles().check(CLASSES);
    }
}

package com.shipmenttimeline;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Data flows one way: schemas -> transforms -> jobs. Transforms do no I/O and know nothing of jobs. */
class ArchitectureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("com.shipmenttimeline");

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
}

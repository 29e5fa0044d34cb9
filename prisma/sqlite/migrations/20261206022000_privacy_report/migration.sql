-- CreateTable
CREATE TABLE "PrivacyReport" (
    "siteId" TEXT NOT NULL PRIMARY KEY,
    "cycleStartedAt" DATETIME,
    "cursor" TEXT,
    "nextCycleAt" DATETIME,
    "cycleSeconds" INTEGER NOT NULL DEFAULT 604800,
    "retryAt" DATETIME,
    "leaseUntil" DATETIME,
    "lastCompletedAt" DATETIME,
    "lastOutcome" TEXT,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "PrivacyReport_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "PrivacyReport_nextCycleAt_idx" ON "PrivacyReport"("nextCycleAt");

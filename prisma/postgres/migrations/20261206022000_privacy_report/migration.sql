-- CreateTable
CREATE TABLE "PrivacyReport" (
    "siteId" TEXT NOT NULL,
    "cycleStartedAt" TIMESTAMP(3),
    "cursor" TEXT,
    "nextCycleAt" TIMESTAMP(3),
    "cycleSeconds" INTEGER NOT NULL DEFAULT 604800,
    "retryAt" TIMESTAMP(3),
    "leaseUntil" TIMESTAMP(3),
    "lastCompletedAt" TIMESTAMP(3),
    "lastOutcome" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PrivacyReport_pkey" PRIMARY KEY ("siteId")
);

-- CreateIndex
CREATE INDEX "PrivacyReport_nextCycleAt_idx" ON "PrivacyReport"("nextCycleAt");

-- AddForeignKey
ALTER TABLE "PrivacyReport" ADD CONSTRAINT "PrivacyReport_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site"("id") ON DELETE CASCADE ON UPDATE CASCADE;

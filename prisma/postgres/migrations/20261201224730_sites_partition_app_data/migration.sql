-- Sites become the partition key of app data (prisma/README.md, "Sites"). Hand-edited from `npm run db:diff`
-- so that no row is lost: every existing tenant gets a Site whose id is its clientKey, and notes and webhook
-- deliveries keep their rows, their old clientKey becoming their siteId.

-- CreateTable
CREATE TABLE "Site" (
    "id" TEXT NOT NULL,
    "cloudId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Site_pkey" PRIMARY KEY ("id")
);

-- Backfill: one Site per existing installation, id = clientKey (and for any orphaned note or delivery).
INSERT INTO "Site" ("id", "createdAt") SELECT "clientKey", "installedAt" FROM "Tenant";
INSERT INTO "Site" ("id") SELECT DISTINCT "clientKey" FROM "Note" ON CONFLICT DO NOTHING;
INSERT INTO "Site" ("id") SELECT DISTINCT "clientKey" FROM "WebhookDelivery" ON CONFLICT DO NOTHING;

-- CreateTable
CREATE TABLE "ForgeInstallation" (
    "installationId" TEXT NOT NULL,
    "siteId" TEXT NOT NULL,
    "cloudId" TEXT NOT NULL,
    "siteUrl" TEXT,
    "environmentType" TEXT,
    "environmentId" TEXT,
    "appVersion" TEXT,
    "state" TEXT NOT NULL,
    "installedAt" TIMESTAMP(3) NOT NULL,
    "upgradedAt" TIMESTAMP(3),
    "uninstalledAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "lastLifecycleIat" INTEGER,

    CONSTRAINT "ForgeInstallation_pkey" PRIMARY KEY ("installationId")
);

-- Tenant: siteId = clientKey for every existing row.
ALTER TABLE "Tenant" ADD COLUMN "installationId" TEXT,
ADD COLUMN "siteId" TEXT;
UPDATE "Tenant" SET "siteId" = "clientKey";
ALTER TABLE "Tenant" ALTER COLUMN "siteId" SET NOT NULL;

-- Note and WebhookDelivery: the clientKey column becomes siteId, values unchanged.
ALTER TABLE "Note" DROP CONSTRAINT "Note_clientKey_fkey";
ALTER TABLE "WebhookDelivery" DROP CONSTRAINT "WebhookDelivery_clientKey_fkey";
DROP INDEX "Note_clientKey_createdAt_idx";
DROP INDEX "Note_clientKey_issueKey_idx";
ALTER TABLE "Note" RENAME COLUMN "clientKey" TO "siteId";
ALTER TABLE "WebhookDelivery" DROP CONSTRAINT "WebhookDelivery_pkey";
ALTER TABLE "WebhookDelivery" RENAME COLUMN "clientKey" TO "siteId";
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("siteId", "webhookId");

-- CreateIndex
CREATE UNIQUE INDEX "Site_cloudId_key" ON "Site"("cloudId");

-- CreateIndex
CREATE INDEX "ForgeInstallation_siteId_idx" ON "ForgeInstallation"("siteId");

-- CreateIndex
CREATE INDEX "Note_siteId_issueKey_idx" ON "Note"("siteId", "issueKey");

-- CreateIndex
CREATE INDEX "Note_siteId_createdAt_idx" ON "Note"("siteId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Tenant_installationId_key" ON "Tenant"("installationId");

-- CreateIndex
CREATE INDEX "Tenant_siteId_idx" ON "Tenant"("siteId");

-- AddForeignKey
ALTER TABLE "Tenant" ADD CONSTRAINT "Tenant_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ForgeInstallation" ADD CONSTRAINT "ForgeInstallation_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Note" ADD CONSTRAINT "Note_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site"("id") ON DELETE CASCADE ON UPDATE CASCADE;
